"""The console's forms take the English texts beside the Chinese (issue 21): a notice's
English title and body, a service item's English name, materials and notes; only those
who may change the object may write them; an English text can be cleared again."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.bookings.models import ServiceItem
from backend.extensions import db
from backend.participation.models import CommunityNotice
from tests import test_console_service as console_service
from tests.test_console_participation import build_console_world, post
from tests.test_console_service import _admin_username, _client, _post
from tests.test_console_volunteers import client_for, page


@pytest.fixture
def cp(app, monkeypatch):
    return build_console_world(app, monkeypatch)


@pytest.fixture
def staff_a(app, cp):
    return client_for(app, cp, "staff_a")


@pytest.fixture
def staff_b(app, cp):
    return client_for(app, cp, "staff_b")


@pytest.fixture
def sw(app, monkeypatch):
    return console_service.sw.__wrapped__(app, monkeypatch)


def _notice(app, notice_id: int) -> CommunityNotice:
    with app.app_context():
        row = db.session.get(CommunityNotice, notice_id)
        db.session.expunge(row)
        return row


def test_publish_a_notice_with_its_english(app, cp, staff_a):
    form = page(staff_a, f"/console/participation/communities/{cp.a}/notices")
    assert 'name="title_en"' in form and 'name="body_en"' in form
    body = post(staff_a, f"/console/participation/communities/{cp.a}/notices", {
        "kind": "notice", "title": "垃圾分类宣传", "body": "周六上午在小区广场",
        "title_en": "Waste sorting day", "body_en": "Saturday morning on the square"})
    assert "已发布公告：垃圾分类宣传" in body
    with app.app_context():
        row = db.session.execute(sa.select(CommunityNotice).where(
            CommunityNotice.title == "垃圾分类宣传")).scalar_one()
        assert (row.title_en, row.body_en) == ("Waste sorting day",
                                               "Saturday morning on the square")
        notice_id = row.id
    detail = page(staff_a, f"/console/participation/notices/{notice_id}")
    assert 'id="notice-english"' in detail and "Waste sorting day" in detail
    assert 'value="Waste sorting day"' in detail  # in the edit form too
    # too long: refused with the field named, nothing saved
    body = post(staff_a, f"/console/participation/communities/{cp.a}/notices", {
        "title": "另一条", "body": "正文", "title_en": "x" * 151})
    assert "未能发布" in body and "英文标题" in body


def test_edit_and_clear_a_notices_english(app, cp, staff_a, staff_b):
    url = f"/console/participation/notices/{cp.notice}/edit"
    post(staff_a, url, {"kind": "notice", "title": "停水通知", "body": "明天停水",
                        "title_en": "Water cut", "body_en": "No water tomorrow",
                        "publish_from": "2026-10-08T09:00"})
    assert _notice(app, cp.notice).title_en == "Water cut"
    # another community's staff: refused, nothing changed
    post(staff_b, url, {"kind": "notice", "title": "停水通知", "body": "x", "title_en": "Hacked"},
         status=403)
    assert _notice(app, cp.notice).title_en == "Water cut"
    post(staff_a, url, {"kind": "notice", "title": "停水通知", "body": "明天停水",
                        "title_en": "", "body_en": "", "publish_from": "2026-10-08T09:00"})
    row = _notice(app, cp.notice)
    assert (row.title_en, row.body_en) == ("", "")


def test_service_item_english_from_the_admin_form(app, sw):
    staff = _client(app, sw.staff_a)
    _post(staff, "/console/admin/service-items", {"code": "X1", "name": "某",
                                                   "name_en": "Something"}, status=403)
    admin = _client(app, _admin_username(app))
    form = admin.get("/console/admin/service-items").get_data(as_text=True)
    assert 'name="name_en"' in form and 'name="materials_en"' in form
    _post(admin, "/console/admin/service-items", {
        "code": "JZ01", "name": "居住证办理", "duration_minutes": "20",
        "materials": "身份证\n租房合同", "name_en": "Residence permit",
        "materials_en": "Passport\n\n Tenancy contract ", "notes_en": "Come in person",
        "bookable_online": "true", "is_active": "true"})
    with app.app_context():
        item = db.session.execute(sa.select(ServiceItem).where(
            ServiceItem.code == "JZ01")).scalar_one()
        assert (item.name_en, item.materials_en, item.notes_en) == (
            "Residence permit", ["Passport", "Tenancy contract"], "Come in person")
        item_id = item.id
    body = admin.get("/console/admin/service-items").get_data(as_text=True)
    assert 'value="Residence permit"' in body and "Passport\nTenancy contract" in body
    # cleared: the residents reading English get the Chinese again
    _post(admin, f"/console/admin/service-items/{item_id}", {
        "name": "居住证办理", "duration_minutes": "20", "materials": "身份证",
        "name_en": "", "materials_en": "", "notes_en": "", "is_active": "true"})
    with app.app_context():
        item = db.session.get(ServiceItem, item_id)
        assert (item.name_en, item.materials_en, item.notes_en) == ("", [], "")
    # 31 English materials: refused next to the field
    response = _post(admin, f"/console/admin/service-items/{item_id}", {
        "name": "居住证办理", "materials_en": "\n".join(f"doc {i}" for i in range(31))})
    body = admin.get(response.headers["Location"].split("#")[0]).get_data(as_text=True)
    assert f'id="item-{item_id}-error-materials_en"' in body
