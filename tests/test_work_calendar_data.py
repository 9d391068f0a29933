"""Linli's own working calendar (issue 17): the table filled from chinese-calendar, admins'
edits through the CLI and the console, the explicit Monday–Friday fallback for a year
without data (2027: chinese-calendar 1.11.0 stops at 2026), and its users: ticket
deadlines, the service centres' opening days, statistics."""
from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from backend.core import workcalendar
from backend.core.workcalendar import CalendarEntry, WorkCalendar
from backend.extensions import db
from backend.places.models import read_revision
from backend.workdays import operations as calendar_ops
from backend.workdays.models import CalendarDay, CalendarYear

SH = ZoneInfo("Asia/Shanghai")


def sh(y, mo, d, h=0, mi=0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


@pytest.fixture
def december(monkeypatch):
    """Today is 5 December 2026: 2027 has no data yet."""
    monkeypatch.setattr(calendar_ops, "today", lambda: date(2026, 12, 5))


def cli(app, *args):
    result = app.test_cli_runner().invoke(args=["calendar", *args])
    return result


def fresh():
    """What the next request sees (another process would reload at the new revision)."""
    db.session.remove()
    calendar_ops.forget()


# --- pure: the calendar object ---------------------------------------------------------

def test_entries_override_the_weekday_and_other_days_of_an_unknown_year_fall_back():
    cal = WorkCalendar({date(2027, 1, 1): CalendarEntry("holiday", "元旦"),
                        date(2027, 2, 7): CalendarEntry("workday", "春节调休")}, [2026])
    assert not cal.is_working_day(date(2027, 1, 1))      # a Friday, set as a holiday
    assert cal.is_working_day(date(2027, 2, 7))          # a Sunday, set as 调休
    assert cal.is_working_day(date(2027, 2, 8))          # no entry: Monday–Friday
    assert not cal.is_working_day(date(2027, 2, 6))      # no entry: Saturday
    assert cal.fallback_years(date(2026, 12, 31), date(2027, 1, 4)) == [2027]
    assert cal.fallback_years(date(2026, 1, 1), date(2026, 12, 31)) == []
    # the deadline skips the holiday and the weekend: Thu 31 Dec 17:00 + 2 h → Mon 10:00
    assert workcalendar.deadline(sh(2026, 12, 31, 17), 2, calendar=cal) == sh(2027, 1, 4, 10)


def test_the_library_calendar_has_chinese_names_and_knows_2004_to_2026():
    lib = workcalendar.library_calendar()
    assert min(lib.complete_years) == 2004 and max(lib.complete_years) == 2026
    assert lib.entry(date(2026, 10, 1)) == CalendarEntry("holiday", "国庆节")
    assert lib.entry(date(2026, 9, 20)) == CalendarEntry("workday", "国庆节调休")
    assert not lib.is_complete(2027)


# --- the table ------------------------------------------------------------------------

def test_the_migration_copied_the_years_chinese_calendar_knows(ctx):
    years = db.session.execute(sa.select(CalendarYear)).scalars().all()
    assert {y.year for y in years} == set(range(2004, 2027))
    assert all(y.complete and y.source == "chinese-calendar" for y in years)
    national = db.session.get(CalendarDay, date(2026, 10, 1))
    assert (national.kind, national.name, national.source) == ("holiday", "国庆节",
                                                               "chinese-calendar")
    assert db.session.get(CalendarDay, date(2026, 9, 20)).kind == "workday"
    count = db.session.execute(sa.select(sa.func.count()).select_from(CalendarDay)).scalar()
    assert count == len(workcalendar.library_calendar().entries)
    # what the app counts with is the table
    assert workcalendar.current().source == "linli"
    assert calendar_ops.sync_from_library() == {"years": [], "days": 0}  # nothing to do


def test_a_change_shows_in_the_next_request_through_the_revision(app, ctx):
    before = workcalendar.current()
    assert before.is_working_day(date(2026, 12, 28))
    revision = read_revision(calendar_ops.CALENDAR_REVISION)
    schedule_revision = read_revision("bookings_schedule")
    assert cli(app, "set", "2026-12-28", "holiday", "--name", "停电").exit_code == 0
    fresh()
    assert read_revision(calendar_ops.CALENDAR_REVISION) != revision
    assert read_revision("bookings_schedule") != schedule_revision  # slots follow
    assert not workcalendar.current().is_working_day(date(2026, 12, 28))


# --- 2027: no data, the fallback is explicit --------------------------------------------

def _category(name="楼道灯损坏", hours=2):
    from tests import factories as f

    cat = f.categories()[name]
    cat.accept_hours, cat.deadline_mode = hours, "working"
    db.session.commit()
    return cat


def _ticket_at(monkeypatch, moment: datetime, category):
    from backend.tickets import operations as ticket_ops
    from tests import factories as f

    places = f.two_communities()
    reporter = f.resident(name="王阿姨", phone="13900000001")
    db.session.commit()
    monkeypatch.setattr(ticket_ops, "utcnow", lambda: moment.astimezone(SH))
    ticket = ticket_ops.create_ticket(reporter, category.id, "5栋楼道灯不亮", 30.61, 104.005,
                                      address="晋阳路 5 栋")
    db.session.commit()
    assert ticket.place_id == places["a3"].id
    return ticket


def test_2027_without_data_falls_back_to_monday_to_friday_and_says_so(
        app, ctx, client, monkeypatch, december):
    from tests import factories as f

    category = _category()
    ticket = _ticket_at(monkeypatch, sh(2026, 12, 31, 17), category)
    # Thu 31 Dec 17:00 + 2 working hours: 1 h that day, 1 h on Friday 1 January 2027,
    # which without data is an ordinary Friday
    assert ticket.accept_due_at == sh(2027, 1, 1, 10)

    status = cli(app, "status")
    assert status.exit_code == 0, status.output
    assert "complete years: 2004–2026" in status.output
    assert "WARNING" in status.output and "2027" in status.output
    assert "Monday–Friday" in status.output

    staff = f.staff(None, role="admin")
    db.session.commit()
    headers = f.auth(f.token_for(staff, hours=1))
    body = client.get("/api/v1/calendar/status", headers=headers).get_json()
    assert body["missing_years"] == [2027] and body["fallback"] == "Monday-Friday"
    assert body["today"] == "2026-12-05"
    year = client.get("/api/v1/calendar?year=2027", headers=headers).get_json()
    assert year["state"] == "fallback" and year["fallback"] == "Monday-Friday"
    assert year["days"] == [] and year["complete"] is False
    known = client.get("/api/v1/calendar?year=2026", headers=headers).get_json()
    assert known["state"] == "complete" and known["fallback"] is None
    assert {"date": "2026-10-01", "kind": "holiday", "name": "国庆节"} in known["days"]


def test_a_2027_holiday_set_by_an_admin_is_skipped_and_old_deadlines_stay(
        app, ctx, monkeypatch, december):
    category = _category()
    before = _ticket_at(monkeypatch, sh(2026, 12, 31, 17), category)
    assert before.accept_due_at == sh(2027, 1, 1, 10)
    before_id, category_id = before.id, category.id

    result = cli(app, "set", "2027-01-01", "holiday", "--name", "元旦")
    assert result.exit_code == 0, result.output
    fresh()
    from backend.tickets import operations as ticket_ops
    from backend.tickets.models import Ticket

    reporter = db.session.get(Ticket, before_id).reporter
    ticket = ticket_ops.create_ticket(reporter, category_id, "又一盏灯不亮", 30.61, 104.005,
                                      address="晋阳路 5 栋")
    db.session.commit()
    # 1 January is a holiday now, 2–3 January the weekend: Monday 4 January 10:00
    assert ticket.accept_due_at == sh(2027, 1, 4, 10)
    # a deadline already set is not moved by a later calendar change
    assert db.session.get(Ticket, before_id).accept_due_at == sh(2027, 1, 1, 10)
    # 2027 is partial now: still reported until marked complete
    assert calendar_ops.year_status(2027).state == "partial"
    assert calendar_ops.missing_years() == [2027]
    assert cli(app, "mark-complete", "2027").exit_code == 0
    fresh()
    assert calendar_ops.missing_years() == []
    assert "WARNING" not in cli(app, "status").output


def test_statistics_count_working_hours_with_the_table(app, ctx):
    start, end = sh(2026, 12, 31, 9), sh(2027, 1, 4, 18)
    assert workcalendar.working_hours_between(start, end) == pytest.approx(7.5 * 3)
    calendar_ops.set_day("2027-01-01", "holiday", "元旦", by="test")
    db.session.commit()
    assert workcalendar.working_hours_between(start, end) == pytest.approx(7.5 * 2)


# --- the CLI ----------------------------------------------------------------------------

def test_cli_set_unset_and_refusals(app, ctx):
    ok = cli(app, "set", "2027-02-07", "workday", "--name", "春节调休")
    assert ok.exit_code == 0, ok.output
    fresh()
    row = db.session.get(CalendarDay, date(2027, 2, 7))
    assert (row.kind, row.name, row.source, row.updated_by) == ("workday", "春节调休",
                                                                "admin", "cli")
    assert workcalendar.current().is_working_day(date(2027, 2, 7))  # a Sunday, worked
    year = db.session.get(CalendarYear, 2027)
    assert year is not None and year.complete is False

    weekday = cli(app, "set", "2027-02-08", "workday")
    assert weekday.exit_code != 0 and "周六、周日" in weekday.output
    bad_date = cli(app, "set", "2027-02-30", "holiday")
    assert bad_date.exit_code != 0 and "YYYY-MM-DD" in bad_date.output
    bad_kind = cli(app, "set", "2027-02-06", "vacation")
    assert bad_kind.exit_code != 0

    assert cli(app, "unset", "2027-02-07").exit_code == 0
    fresh()
    assert db.session.get(CalendarDay, date(2027, 2, 7)) is None
    assert not workcalendar.current().is_working_day(date(2027, 2, 7))
    again = cli(app, "unset", "2027-02-07")
    assert again.exit_code != 0 and "没有设置" in again.output


GOOD_CSV = """date,kind,name
2027-01-01,holiday,元旦
2027-02-06,holiday,春节
2027-02-07,workday,春节调休
"""

BAD_CSV = """date,kind,name
2027-01-01,holiday,元旦
2027-02-30,holiday,春节
2027-02-08,workday,春节调休
2027-01-01,holiday,元旦
2027-03-01,day-off,
"""


def test_cli_import_a_csv_and_mark_the_year_complete(app, ctx, tmp_path, december):
    path = tmp_path / "2027.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    result = cli(app, "import", str(path), "--complete")
    assert result.exit_code == 0, result.output
    assert "3 days imported (2027)" in result.output and "complete" in result.output
    fresh()
    days = {d.day: (d.kind, d.name, d.source) for d in calendar_ops.days_of_year(2027)}
    assert days == {date(2027, 1, 1): ("holiday", "元旦", "import"),
                    date(2027, 2, 6): ("holiday", "春节", "import"),
                    date(2027, 2, 7): ("workday", "春节调休", "import")}
    assert calendar_ops.year_status(2027).complete and calendar_ops.missing_years() == []


def test_cli_import_json_with_replace(app, ctx, tmp_path):
    calendar_ops.set_day("2027-05-03", "holiday", "provisional", by="test")
    db.session.commit()
    path = tmp_path / "2027.json"
    path.write_text(json.dumps([{"date": "2027-01-01", "kind": "holiday", "name": "元旦"}],
                               ensure_ascii=False), encoding="utf-8")
    result = cli(app, "import", str(path), "--replace")
    assert result.exit_code == 0, result.output
    assert "1 other days removed" in result.output
    fresh()
    assert [d.day for d in calendar_ops.days_of_year(2027)] == [date(2027, 1, 1)]
    assert not calendar_ops.year_status(2027).complete


def test_a_bad_file_names_each_bad_line_and_writes_nothing(app, ctx, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    revision = read_revision(calendar_ops.CALENDAR_REVISION)
    result = cli(app, "import", str(path), "--complete")
    assert result.exit_code != 0
    output = result.output
    assert "第 3 行" in output and "YYYY-MM-DD" in output          # 30 February
    assert "第 4 行" in output and "周六、周日" in output           # a Monday as 调休
    assert "第 5 行" in output and "第 2 行已有" in output          # the same day twice
    assert "第 6 行" in output and "holiday" in output              # an unknown kind
    assert "第 2 行" not in output.replace("第 2 行已有", "")       # the good line is fine
    assert "4 problem(s)" in output and "nothing was imported" in output
    fresh()
    assert calendar_ops.days_of_year(2027) == []
    assert db.session.get(CalendarYear, 2027) is None
    assert read_revision(calendar_ops.CALENDAR_REVISION) == revision

    header = tmp_path / "header.csv"
    header.write_text("day,type\n2027-01-01,holiday\n", encoding="utf-8")
    refused = cli(app, "import", str(header))
    assert refused.exit_code != 0 and "第 1 行" in refused.output and "date,kind,name" in refused.output


# --- the console -----------------------------------------------------------------------

@pytest.fixture
def console(app):
    from tests.browser.world import build

    return build(app, with_tickets=False)


def _client(app, username):
    from tests.browser.world import login

    client = app.test_client()
    login(client, username)
    return client


def _post(client, path, data):
    from tests.browser.world import csrf_token

    data = dict(data, csrf_token=csrf_token(client, "/console/"))
    return client.post(path, data=data)


def test_console_calendar_permissions(app, client, console, december):
    # anonymous: to the login page; nothing written
    assert client.get("/console/admin/calendar").status_code == 302
    assert client.post("/console/admin/calendar/days",
                       data={"date": "2027-01-01", "kind": "holiday"}).status_code in (302, 400)
    # staff of a community: may not open nor edit the calendar
    zhang = _client(app, "zhang")
    assert zhang.get("/console/admin/calendar?year=2027").status_code == 403
    refused = _post(zhang, "/console/admin/calendar/days",
                    {"date": "2027-01-01", "kind": "holiday", "name": "元旦"})
    assert refused.status_code == 403
    assert _post(zhang, "/console/admin/calendar/years/2027",
                 {"complete": "true"}).status_code == 403
    assert "工作日历" not in zhang.get("/console/").get_data(as_text=True)
    with app.app_context():
        assert calendar_ops.days_of_year(2027) == []
    # the admin: sees the page (2027 without data), adds, removes, completes
    admin = _client(app, "admin")
    body = admin.get("/console/admin/calendar?year=2027").get_data(as_text=True)
    assert "2027 年没有日历数据" in body and "周一至周五" in body
    assert "工作日历" in admin.get("/console/").get_data(as_text=True)
    added = _post(admin, "/console/admin/calendar/days",
                  {"date": "2027-02-07", "kind": "workday", "name": "春节调休"})
    assert added.status_code == 303
    page = admin.get("/console/admin/calendar?year=2027").get_data(as_text=True)
    assert 'id="day-2027-02-07"' in page and "春节调休" in page and "调休上班" in page
    wrong = _post(admin, "/console/admin/calendar/days",
                  {"date": "2027-02-08", "kind": "workday", "name": ""})
    # refused: redirect after POST to the year's page, the message and the day typed shown once
    assert wrong.status_code == 303
    assert wrong.headers["Location"] == "/console/admin/calendar?year=2027"
    shown = admin.get(wrong.headers["Location"]).get_data(as_text=True)
    assert 'id="calendar-error"' in shown and "周六、周日" in shown
    assert 'value="2027-02-08"' in shown
    again = admin.get(wrong.headers["Location"]).get_data(as_text=True)
    assert 'id="calendar-error"' not in again and 'value="2027-02-08"' not in again
    assert _post(admin, "/console/admin/calendar/days/2027-02-07/delete", {}).status_code == 303
    with app.app_context():
        assert calendar_ops.days_of_year(2027) == []
        assert db.session.get(CalendarYear, 2027).updated_by == "admin"
    # a resident cannot log in to the console at all; the API refuses them
    with app.app_context():
        from tests import factories as f

        resident = f.resident(name="居民", phone="13900000099")
        db.session.commit()
        token = f.token_for(resident, hours=1)
        assert client.get("/api/v1/calendar?year=2027",
                          headers=f.auth(token)).status_code == 403
    assert client.get("/api/v1/calendar?year=2027").status_code == 401


def test_the_december_warning_until_next_year_is_complete(app, console, monkeypatch):
    monkeypatch.setattr(calendar_ops, "today", lambda: date(2026, 11, 30))
    admin = _client(app, "admin")
    zhang = _client(app, "zhang")
    assert 'id="calendar-warning"' not in admin.get("/console/").get_data(as_text=True)
    assert 'id="calendar-fallback"' not in zhang.get("/console/dashboard").get_data(as_text=True)

    monkeypatch.setattr(calendar_ops, "today", lambda: date(2026, 12, 1))
    home = admin.get("/console/").get_data(as_text=True)
    assert 'id="calendar-warning"' in home and "2027" in home and "周一至周五" in home
    # staff get no banner (they cannot act on it) but the dashboard says it to everyone
    assert 'id="calendar-warning"' not in zhang.get("/console/").get_data(as_text=True)
    dash = zhang.get("/console/dashboard").get_data(as_text=True)
    assert 'id="calendar-fallback"' in dash and "2027" in dash and "周一至周五" in dash

    done = _post(admin, "/console/admin/calendar/years/2027",
                 {"complete": "true", "note": "国务院办公厅通知"})
    assert done.status_code == 303
    assert 'id="calendar-warning"' not in admin.get("/console/").get_data(as_text=True)
    assert 'id="calendar-fallback"' not in zhang.get("/console/dashboard").get_data(as_text=True)
    page = admin.get("/console/admin/calendar?year=2027").get_data(as_text=True)
    assert "2027 年已完整" in page and "国务院办公厅通知" in page


# --- bookings ---------------------------------------------------------------------------

def test_a_holiday_set_by_an_admin_closes_the_day_in_the_slots(client, ctx, monkeypatch):
    from tests.bookings_world import build_world

    world = build_world(monkeypatch)  # now: Monday 2026-09-28 10:00
    url = (f"/api/v1/service-centres/{world.centre_a.id}/slots?item={world.items['SB'].id}"
           "&from=2026-09-29&to=2026-09-29")

    def tuesday():
        body = client.get(url, headers=world.h("chen")).get_json()
        return body["days"][0]

    assert tuesday()["open"] and tuesday()["slots"]  # kept in the process's schedule
    calendar_ops.set_day("2026-09-29", "holiday", "社区活动日", by="test")
    db.session.commit()
    day = tuesday()
    assert day["open"] is False and day["slots"] == []
    assert day["day_kind"] == "holiday" and day["note"] == "社区活动日"
    # and a 调休 Sunday set by an admin opens with the weekday rules
    calendar_ops.unset_day("2026-09-29", by="test")
    calendar_ops.unset_day("2026-09-20", by="test")  # chinese-calendar's 国庆节调休
    db.session.commit()
    assert tuesday()["open"] and tuesday()["slots"]
