"""院落自治 in the console (Flask test client): the community's yards with their
committee in office and convention coverage, a yard's page (roster, conventions with
versions and signatures per household, yard meetings), the 居民公约, the notice board's
三公开 tabs; staff of another community get 404/403, and every refused form is a redirect
with a flash."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from backend.extensions import db
from backend.participation import yards as yard_ops
from backend.participation.models import (
    CommunityNotice, Convention, ConventionVersion, Meeting, YardCommitteeMember,
)
from tests import yards_world as yw
from tests.browser.world import PASSWORD
from tests.participation_world import notice
from tests.passwords import TEST_PASSWORD_HASH_METHOD
from tests.test_console_volunteers import client_for, page, post


@pytest.fixture
def cy(app, monkeypatch):
    with app.app_context():
        world = yw.build_world(monkeypatch)
        people, places = world.people, world.places
        for name in ("staff_a", "staff_b", "street", "admin"):
            people[name].password_hash = generate_password_hash(
                PASSWORD, method=TEST_PASSWORD_HASH_METHOD)
        conv = yard_ops.create_convention(people["zhou"], places["a"], places["a3"],
                                          {"title": "晋阳院落公约", "body": "爱护院落环境。"})
        version = yard_ops.current_version(conv)
        yard_ops.sign(people["wang"], version, yard_ops.yard_residency(people["wang"].id,
                                                                       places["a3"]))
        notice(world, title="停水通知")
        party = notice(world, title="党员活动日通知")
        party.area = "party"
        db.session.commit()
        return SimpleNamespace(
            users={k: people[k].username for k in ("staff_a", "staff_b", "street", "admin")},
            a=places["a"].id, a3=places["a3"].id, b3=places["b3"].id, convention=conv.id,
            version=version.id,
            member=db.session.execute(sa.select(YardCommitteeMember.id)).scalar_one())


def test_the_yards_of_the_community(app, cy):
    staff_a = client_for(app, cy, "staff_a")
    body = page(staff_a, f"/console/participation/communities/{cy.a}/yards")
    assert "院落自治" in body and f'id="yard-{cy.a3}"' in body
    row = body[body.index(f'id="yard-{cy.a3}"'):][:1200]
    assert "老周（院落长）" in row and "晋阳院落公约" in row and "1 / 2 户" in row
    body = page(staff_a, f"/console/participation/yards/{cy.a3}")
    assert "老周" in body and "已签署 1 户 / 共 2 户（50%）" in body
    assert f'id="version-{cy.version}"' in body


def test_roster_conventions_versions_and_meetings(app, cy):
    staff_a = client_for(app, cy, "staff_a")
    yard = f"/console/participation/yards/{cy.a3}"
    body = post(staff_a, yard + "/committee", {"name": "张楼长", "role": "building_head",
                                               "term_start": "2026-01-01",
                                               "term_end": "2028-12-31"})
    assert "已添加成员：张楼长（楼栋长）" in body
    body = post(staff_a, yard + "/committee", {"name": "坏任期", "term_start": "2026-01-01",
                                               "term_end": "2025-01-01"})
    assert "未能添加成员" in body
    body = post(staff_a, f"/console/participation/yard-committee/{cy.member}",
                {"role": "deputy", "term_end": "2026-12-31"})
    assert "已修改成员：老周" in body
    body = post(staff_a, f"/console/participation/conventions/{cy.convention}/versions",
                {"body": "爱护院落环境。垃圾分类。", "note": "增加垃圾分类"})
    assert "已发布第 2 版：晋阳院落公约" in body and "现行第 2 版" in body
    assert "已签署 0 户 / 共 2 户（0%）" in body  # the new version is signed anew
    body = post(staff_a, yard + "/conventions", {"title": "停车公约", "body": "有序停放。"})
    assert "已发布公约：停车公约" in body
    body = post(staff_a, yard + "/meetings", {"title": "院落会议：停车", "held_at":
                                              "2026-10-08T19:00", "attendee_count": "7"})
    assert "已登记会议：院落会议：停车" in body
    with app.app_context():
        meeting = db.session.execute(sa.select(Meeting)).scalar_one()
        assert (meeting.kind, meeting.yard_id, meeting.attendee_count) == ("yard", cy.a3, 7)
        numbers = db.session.execute(sa.select(ConventionVersion.number).where(
            ConventionVersion.convention_id == cy.convention)).scalars().all()
        assert sorted(numbers) == [1, 2]
        assert db.session.execute(sa.select(sa.func.count()).select_from(Convention)
                                  ).scalar_one() == 2
    assert "院落会议：停车" in page(staff_a, yard)
    body = post(staff_a, f"/console/participation/communities/{cy.a}/conventions",
                {"title": "晋阳社区居民公约", "body": "守望相助。"})
    assert "已发布公约：晋阳社区居民公约" in body and 'id="community-conventions"' in body


def test_staff_of_another_community_are_refused(app, cy):
    staff_b = client_for(app, cy, "staff_b")
    page(staff_b, f"/console/participation/communities/{cy.a}/yards", 403)
    page(staff_b, f"/console/participation/yards/{cy.a3}", 404)
    post(staff_b, f"/console/participation/yards/{cy.a3}/conventions",
         {"title": "t", "body": "b"}, status=404)
    post(staff_b, f"/console/participation/conventions/{cy.convention}/versions",
         {"body": "b"}, status=404)
    post(staff_b, f"/console/participation/yard-committee/{cy.member}", {"role": "member"},
         status=404)
    page(staff_b, f"/console/participation/yards/{cy.b3}")
    street = client_for(app, cy, "street")
    page(street, f"/console/participation/yards/{cy.a3}")
    page(street, "/console/participation/yards/99999999", 404)


def test_notice_board_tabs_by_area(app, cy):
    staff_a = client_for(app, cy, "staff_a")
    url = f"/console/participation/communities/{cy.a}/notices"
    body = page(staff_a, url)
    assert "停水通知" in body and "党员活动日通知" in body and 'id="notice-areas"' in body
    body = page(staff_a, url + "?area=party")
    assert "党员活动日通知" in body and "停水通知" not in body
    assert '<td class="area">党务</td>' in body
    body = page(staff_a, url + "?area=finance")
    assert "党员活动日通知" not in body and "停水通知" not in body
    body = post(staff_a, url, {"kind": "disclosure", "area": "party", "title": "党费公示",
                               "body": "第三季度", "publish_until": "2026-10-15T18:00"})
    assert "已发布公示：党费公示" in body
    with app.app_context():
        row = db.session.execute(sa.select(CommunityNotice).where(
            CommunityNotice.title == "党费公示")).scalar_one()
        assert row.area == "party"
