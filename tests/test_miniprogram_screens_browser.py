"""The mini-program's main pages in a real browser at a phone's width.

miniprogram_stub/tests/render.test.js (jest, miniprogram-simulate: the official WXML compiler,
the fake phone and API) renders 首页, 上报, 我的上报, a case, 我的, 办事, 志愿服务, 居民参与 and 我的院落
to standalone HTML with their WXSS (rpx at 375 px). Each is opened in chromium at 375 x 812:
a page wider than the screen (a row that does not wrap, a fixed width) fails here, naming
the elements that stick out. The screenshots are kept in test-artifacts/miniprogram/; the
README's and docs' pictures (docs/images/miniprogram-*.png) are copies of some of them.

Needs node and the mini-program's node_modules (`make test-miniprogram` or
`cd miniprogram_stub && npm ci`), and chromium like the console's browser tests.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MINIPROGRAM = ROOT / "miniprogram_stub"
ARTIFACTS = ROOT / "test-artifacts" / "miniprogram"
WIDTH, HEIGHT = 375, 812
SCREENS = ["home", "report", "tickets", "ticket", "me", "bookings", "volunteers",
           "participation", "yard"]

# Elements whose right edge passes the screen's, outermost first (a child of one is not
# named again); the page's own scroll width too.
OVERFLOW = """(width) => {
  const wide = []
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect()
    if (r.width && r.right > width + 0.5 && !wide.some((w) => w.contains(el))) wide.push(el)
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    wide: wide.map((el) => `${el.tagName.toLowerCase()}.${el.className}`
      + ` (right ${Math.round(el.getBoundingClientRect().right)} px)`),
  }
}"""


def _npx() -> str:
    npx = shutil.which("npx")
    if npx is None:
        pytest.fail("node and npx are needed for the mini-program's pages (apt-get install nodejs npm)")
    if not (MINIPROGRAM / "node_modules" / "miniprogram-simulate").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=MINIPROGRAM, check=True,
                       capture_output=True, timeout=600)
    return npx


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """The pages' HTML, rendered by jest into a folder of this run."""
    out = tmp_path_factory.mktemp("miniprogram-html")
    env = dict(os.environ, LINLI_RENDER_OUT=str(out))
    done = subprocess.run([_npx(), "jest", "--ci", "tests/render.test.js"], cwd=MINIPROGRAM,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT},
                                  device_scale_factor=2, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    yield page
    context.close()


def _open(phone, html: Path):
    phone.goto(html.as_uri())
    phone.wait_for_load_state("load")
    return phone.evaluate(OVERFLOW, WIDTH)


@pytest.mark.parametrize("name", SCREENS)
def test_the_page_fits_a_375_px_screen(rendered, phone, name):
    html = rendered / f"{name}.html"
    assert html.is_file(), f"render.test.js wrote no {name}.html"
    measured = _open(phone, html)
    assert measured["wide"] == [], f"{name}: wider than the screen: {measured['wide']}"
    assert measured["scrollWidth"] <= WIDTH
    # the pictures of the page (tab icons, the map's pin) are there and loaded
    broken = phone.evaluate("""() => [...document.images]
        .filter((img) => img.src.startsWith('file:') && !(img.complete && img.naturalWidth))
        .map((img) => img.src)""")
    assert broken == []
    # the whole page on one screen as tall as it, so the fixed tab bar lands at its bottom
    height = phone.evaluate("document.documentElement.scrollHeight")
    phone.set_viewport_size({"width": WIDTH, "height": max(HEIGHT, height)})
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_the_check_catches_a_page_wider_than_the_screen(rendered, phone, tmp_path):
    # the same page with one row that cannot wrap: the measure must name it
    page = (rendered / "me.html").read_text(encoding="utf-8")
    wide = page.replace("</body>", '<div class="too-wide" style="width: 420px">'
                        "一行不会换行的内容</div></body>")
    html = tmp_path / "wide.html"
    html.write_text(wide, encoding="utf-8")
    measured = _open(phone, html)
    assert measured["scrollWidth"] > WIDTH
    assert measured["wide"] == ["div.too-wide (right 420 px)"]


def test_the_tab_pages_show_icons_over_their_labels(rendered, phone):
    _open(phone, rendered / "home.html")
    tabs = phone.evaluate("""() => [...document.querySelectorAll('.tab')].map((tab) => {
        const icon = tab.querySelector('.tab-icon').getBoundingClientRect()
        const label = tab.querySelector('.tab-text').getBoundingClientRect()
        return [tab.querySelector('.tab-text').textContent, Math.round(icon.width),
                icon.bottom <= label.top + 1, tab.querySelector('img').src.split('/').pop()]
    })""")
    assert tabs == [["首页", 27, True, "home-on.png"], ["上报", 27, True, "report.png"],
                    ["办事", 27, True, "services.png"], ["我的", 27, True, "me.png"]]
