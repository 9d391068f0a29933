"""The console's forms in real headless Chromium (issue 20), on a laptop (1366 px) and a
phone (390 px): the workers page's cells are a tree (each community with its cells under
it, indented) and nothing scrolls sideways; participation forms stand in boxes of their
own with each label above its field; an admin disables an account and resets a password
through the confirmations. Screenshots are kept under test-artifacts/console/."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backend.accounts.models import User
from backend.extensions import db
from tests.browser import world as console_world
from tests.browser.live import console_login, screenshot
from tests.test_console_participation import build_console_world

WIDTHS = (1366, 390)

# how far the page scrolls sideways (0: it fits the window)
SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"

# every label of a form of fields: its field starts below the label's text (not glued
# beside it), and neither sticks out of the form
LABELS_ABOVE_FIELDS = """(form) => {
  const out = [];
  const box = form.getBoundingClientRect();
  for (const label of form.querySelectorAll(':scope > label:not(.check)')) {
    const field = label.querySelector('input, select, textarea');
    if (!field || field.type === 'hidden') continue;
    const l = label.getBoundingClientRect(), f = field.getBoundingClientRect();
    if (f.top < l.top + 12) out.push('glued: ' + label.textContent.trim().slice(0, 20));
    if (f.right > box.right + 1 || l.right > box.right + 1)
      out.push('overflows: ' + label.textContent.trim().slice(0, 20));
  }
  return out;
}"""


@pytest.fixture
def world(app):
    return console_world.build(app, with_tickets=False)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_worker_form_offers_cells_as_a_tree_without_sideways_scroll(app, page, world,
                                                                       width):
    page.set_viewport_size({"width": width, "height": 900})
    console_login(page, "admin", console_world.PASSWORD)
    page.goto("/console/workers")
    tree = page.locator("#cell-tree")
    communities = tree.locator("fieldset.cell-community")
    expect(communities).to_have_count(2)
    a = tree.locator(f"#community-{world.places['a']}")
    b = tree.locator(f"#community-{world.places['b']}")
    expect(a.locator("legend").first).to_contain_text("晋阳社区")
    expect(a.locator("label.cell-choice")).to_have_text(
        [re.compile("A 二级网格 1"), re.compile("A 三级网格 1"), re.compile("A 三级网格 2")])
    expect(b.locator("label.cell-choice")).to_have_text(
        [re.compile("B 二级网格 1"), re.compile("B 三级网格 1")])
    # a cell stands indented under the cell it lies in
    a2 = a.locator(f"input[value='{world.places['a2']}']").bounding_box()
    a3 = a.locator(f"input[value='{world.places['a3']}']").bounding_box()
    assert a3["x"] > a2["x"] + 8 and a3["y"] > a2["y"]
    # nothing wider than the window, every choice inside its community's box
    assert page.evaluate(SIDEWAYS) <= 0
    box = a.bounding_box()
    for label in a.locator("label.cell-choice").all():
        right = label.bounding_box()
        assert right["x"] + right["width"] <= box["x"] + box["width"] + 1
    screenshot(page, f"workers-cell-tree-{width}")

    # a worker is added with cells ticked in the tree
    form = page.locator("form#add-worker")
    form.locator("input[name=display_name]").fill("周师傅")
    a.locator(f"input[value='{world.places['a3b']}']").check()
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("已添加网格员 周师傅")
    expect(page.locator("#workers-table")).to_contain_text("A 三级网格 2")
    assert page.js_errors == []


PARTICIPATION_PAGES = ("/console/participation/communities/{a}",
                       "/console/participation/communities/{a}/notices",
                       "/console/participation/communities/{a}/proposals",
                       "/console/participation/proposals/{proposal}",
                       "/console/participation/communities/{a}/council",
                       "/console/participation/funds/{fund}")


@pytest.mark.parametrize("width", WIDTHS)
def test_participation_forms_in_boxes_with_labels_above_their_fields(app, page, monkeypatch,
                                                                    width):
    cp = build_console_world(app, monkeypatch)
    page.set_viewport_size({"width": width, "height": 900})
    console_login(page, cp.users["staff_a"], console_world.PASSWORD)
    for number, path in enumerate(PARTICIPATION_PAGES, 1):
        page.goto(path.format(a=cp.a, proposal=cp.proposal, fund=cp.fund))
        forms = page.locator("form.fields")
        assert forms.count() >= 1, path
        boxes = []
        for form in forms.all():
            assert form.evaluate(LABELS_ABOVE_FIELDS) == [], path
            # its own box, with its heading
            box = form.locator("xpath=ancestor::section[contains(@class, 'form-box')]")
            expect(box).to_have_count(1)
            expect(box.locator("h2")).to_have_count(1)
            boxes.append(box.bounding_box())
        # boxes never overlap: one ends before the next begins
        boxes.sort(key=lambda b: b["y"])
        for upper, lower in zip(boxes, boxes[1:]):
            assert upper["y"] + upper["height"] < lower["y"], path
        # the page's own content fits the window (wide tables scroll inside their card)
        main = page.locator("main").bounding_box()
        assert main["x"] >= 0 and main["x"] + main["width"] <= width + 1, path
        screenshot(page, f"participation-forms-{width}-{number}")
    assert page.js_errors == []


def test_an_admin_disables_and_resets_through_the_confirmations(app, page, world):
    console_login(page, "admin", console_world.PASSWORD)
    page.goto("/console/admin/staff")
    row = page.locator(f"#account-{world.users['staff_a']}")
    confirm = row.get_by_role("button", name="确认停用")
    expect(confirm).to_be_hidden()           # behind its confirmation
    row.locator("details.switch summary").click()
    expect(confirm).to_be_visible()
    screenshot(page, "admin-account-disable-confirm")
    confirm.click()
    expect(page.locator(".flash.ok")).to_contain_text("已停用账号")
    expect(row.locator("td.status")).to_have_text("已停用")
    with app.app_context():
        assert not db.session.get(User, world.users["staff_a"]).is_active

    row.get_by_role("button", name="启用账号").click()
    expect(row.locator("td.status")).to_have_text("正常")

    row.locator("details.reset summary").click()
    row.get_by_role("button", name="确认重置 zhang 的密码").click()
    password = page.locator("#temporary-password").inner_text()
    assert re.fullmatch(r"[a-z2-9]{12}", password)
    screenshot(page, "admin-temporary-password")
    page.reload()  # F5: the password is not shown again, nor reset again
    expect(page.locator("#password-gone")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(password)
    page.get_by_role("link", name="返回账号列表").click()   # shown once, never again
    expect(row.locator("td.status")).to_have_text("正常")
    expect(page.locator("body")).not_to_contain_text(password)
    assert page.js_errors == []
