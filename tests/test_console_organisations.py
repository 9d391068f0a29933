"""社会组织 in the console (Flask test client): the registry (register with a credit code
checked, edit), a service project's whole life through its forms (the forms offered
follow its state, an illegal step refused with a flash), the 待验收 filter, a
micro-fund's donations and an expense refused beyond the balance; staff of another
community get 404/403, never a 500."""
from __future__ import annotations

import re

import sqlalchemy as sa

from backend.extensions import db
from backend.organisations.models import MicroFund, ServiceProject, SocialOrganisation
from tests import organisations_world as ow
from tests.browser.world import csrf_token
from tests.test_console_volunteers import page

PASSWORD = "correct horse battery"


def _client(app, username):
    from tests.browser.world import login

    client = app.test_client()
    login(client, username, PASSWORD)
    return client


def post(client, path, data, status=303):
    data = {**data, "csrf_token": csrf_token(client, "/console/")}
    response = client.post(path, data=data)
    assert response.status_code == status, (path, response.get_data(as_text=True)[:2000])
    if status == 303:
        return page(client, response.headers["Location"])
    return response.get_data(as_text=True)


def _setup(app, monkeypatch):
    with app.app_context():
        world = ow.build_world(monkeypatch)
        return ({k: world.people[k].username for k in ("staff_a", "staff_b", "street")},
                world.places["a"].id, world.orgs["a"].id, world.fund.id)


def test_registry_and_a_project_through_the_console(app, monkeypatch):
    users, a, org_id, _fund = _setup(app, monkeypatch)
    staff = _client(app, users["staff_a"])
    html = page(staff, "/console/organisations")
    assert "益民社工服务中心" in html and "金雁志愿队" not in html
    # a wrong check character: refused with the reason, nothing registered
    html = post(staff, "/console/organisations", {
        "name": "玉林老年协会", "place_id": a, "kind": "community",
        "credit_code": "91110000600037341A", "rating": "2A"})
    assert "统一社会信用代码校验位不正确" in html
    html = post(staff, "/console/organisations", {
        "name": "玉林老年协会", "place_id": a, "kind": "community",
        "credit_code": "91110000600037341L", "rating": "2A", "contact_phone": "13800001111"})
    assert "已登记社会组织" in html and "玉林老年协会" in html
    # file an application, then walk it through its forms
    html = post(staff, "/console/service-projects", {
        "title": "四点半课堂", "organisation_id": org_id, "buyer_id": a, "summary": "放学后托管"})
    assert "已登记项目申报" in html and 'id="review"' in html and 'id="contract"' not in html
    with app.app_context():
        pid = db.session.execute(sa.select(ServiceProject.id).where(
            ServiceProject.title == "四点半课堂")).scalar_one()
    url = f"/console/service-projects/{pid}"
    html = post(staff, url + "/contract", {"contract_sum": "30000", "period_start": "2026-10-01",
                                           "period_end": "2026-12-31"})
    assert "未能签约" in html and "不能签约" in html
    html = post(staff, url + "/review", {"decision": "rejected"})
    assert "未能评审" in html
    html = post(staff, url + "/review", {"decision": "approved"})
    assert "评审通过" in html and 'id="contract"' in html
    html = post(staff, url + "/contract", {"contract_sum": "30000", "period_start": "2026-10-01",
                                           "period_end": "2026-12-31"})
    assert "30000.00" in html and 'id="acceptance"' in html
    html = post(staff, url + "/milestones", {"title": "招生", "due_on": "2026-10-20"})
    mid = re.search(r'id="milestone-(\d+)"', html).group(1)
    assert "招生" in html
    html = page(staff, "/console/service-projects?due=1")
    assert "四点半课堂" not in html
    html = post(staff, f"{url}/milestones/{mid}/done", {"evidence": "报名 28 人"})
    assert "实施中" in html and "报名 28 人" in html
    html = page(staff, "/console/service-projects?due=1")
    assert "四点半课堂" in html
    html = post(staff, url + "/acceptance", {"verdict": "passed", "note": "家长满意"})
    assert 'id="publish"' in html
    html = post(staff, url + "/publish", {"days": "7"})
    assert "已公示" in html and "公示期" in html
    assert len(re.findall(r"<li>", html.split('id="events"')[1])) == 7
    # another community's staff: not found; the street's staff: theirs too
    other = _client(app, users["staff_b"])
    page(other, url, 404)
    page(other, f"/console/organisations/{org_id}", 404)
    page(other, "/console/organisations")
    street = _client(app, users["street"])
    page(street, url)


def test_micro_funds_in_the_console(app, monkeypatch):
    users, _a, _org, fund_id = _setup(app, monkeypatch)
    staff = _client(app, users["staff_a"])
    assert "微基金" in page(staff, f"/console/participation/funds/{fund_id}")
    html = post(staff, f"/console/funds/{fund_id}/micro-funds", {"name": "助学微基金",
                                                                 "purpose": "困难家庭学生"})
    assert "已设立微基金" in html
    with app.app_context():
        mid = db.session.execute(sa.select(MicroFund.id)).scalar_one()
    url = f"/console/micro-funds/{mid}"
    html = post(staff, url + "/donations", {"donor": "李先生", "amount": "300",
                                            "on_date": "2026-10-02"})
    assert "已登记捐赠" in html and "300.00" in html
    html = post(staff, url + "/expenses", {"payee": "文具店", "amount": "300.01",
                                           "on_date": "2026-10-03"})
    assert "未能登记支出" in html and "支出超过微基金余额（300.00 元）" in html
    html = post(staff, url + "/expenses", {"payee": "文具店", "amount": "120",
                                           "on_date": "2026-10-03"})
    assert "已登记支出" in html and "180.00" in html
    other = _client(app, users["staff_b"])
    page(other, url, 403)
    page(other, f"/console/funds/{fund_id}/micro-funds", 403)
    with app.app_context():
        assert db.session.get(MicroFund, mid).balance_fen == 18_000
        assert db.session.execute(sa.select(sa.func.count()).select_from(SocialOrganisation)
                                  ).scalar_one() == 3


def test_every_constrained_value_has_a_label(app):
    """Every value an ``… IN (…)`` check of the feature's tables allows is shown with a
    label (Chinese, except the ratings 1A … 5A, shown as they are)."""
    from backend.console import organisations as console
    from backend.organisations import models
    from backend.organisations.projects import S

    cjk = re.compile(r"[\u4e00-\u9fff]")
    found: dict = {}
    for mapper in db.Model.registry.mappers:
        if mapper.class_.__module__ != models.__name__:
            continue
        for constraint in mapper.local_table.constraints:
            if isinstance(constraint, sa.CheckConstraint):
                for column, values in re.findall(r"(\w+) IN \(([^)]*)\)",
                                                 str(constraint.sqltext)):
                    found[(mapper.local_table.name, column)] = re.findall(r"'([^']*)'", values)
    assert set(found) == set(console.COLUMN_LABELS)
    with app.test_request_context():
        for key, values in found.items():
            for value in values:
                label = str(console.COLUMN_LABELS[key][value])
                assert cjk.search(label) or (key[1] == "rating" and label == value), (key, value)
        assert {s.value for s in S} == set(console.STATUS)
        for kind in ("apply", "review", "contract", "start", "milestone", "accept", "publish"):
            assert cjk.search(str(console.EVENT[kind]))


def test_organisation_labels_stay_on_organisation_forms(app):
    """The organisations pages name their own fields (登记地 for place_id) without renaming
    the same field on every other console form (a ticket's place_id is its 网格)."""
    from backend.console import forms
    from backend.console.organisations import OrganisationForm
    from backend.core.errors import ApiError

    with app.test_request_context():
        try:
            forms.parse(forms.QueueForm(), {"place_id": "x"})
        except ApiError as exc:
            queue_message = str(exc.fields["place_id"][0])
        try:
            forms.parse(OrganisationForm(), {"place_id": "x", "name": "n", "kind": "social"})
        except ApiError as exc:
            organisation_message = str(exc.fields["place_id"][0])
    assert queue_message.startswith("网格"), queue_message
    assert organisation_message.startswith("登记地"), organisation_message


def test_a_nul_character_in_any_console_form_is_a_field_error(app):
    """PostgreSQL cannot store NUL in text: every console form refuses it on its field, as
    the API does (it was a 500 on the 居民公约 form on PostgreSQL)."""
    from backend.console import forms
    from backend.console.yards import ConventionForm
    from backend.core.errors import ApiError

    with app.test_request_context():
        try:
            forms.parse(ConventionForm(), {"title": "公约\x00", "body": "正文", "scope": "yard"})
        except ApiError as exc:
            assert exc.status == 422 and list(exc.fields) == ["title"], exc.fields
            assert "NUL" in str(exc.fields["title"][0])
        else:
            raise AssertionError("a NUL character was accepted")
