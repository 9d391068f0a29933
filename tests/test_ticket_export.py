"""The staff queue as a CSV file: BOM, Chinese header, the queue's filters, scope, a cap,
and cells that cannot turn into formulas."""
from __future__ import annotations

import codecs
import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pytest

from backend.core.models import utcnow
from backend.extensions import db
from backend.tickets import export
from backend.tickets import operations as ops
from tests.tickets_world import IN_A3, IN_A3B, IN_B3, build_world

URL = "/api/v1/tickets/export.csv"
HEADER_START = ["编号", "大类", "小类", "描述", "地址"]


def _ticket(world, description="5栋楼道灯不亮", category="楼道灯损坏", where=IN_A3):
    ticket = ops.create_ticket(world.reporter, world.cats[category].id, description,
                               where[0], where[1], address="晋阳路 5 栋")
    db.session.commit()
    return ticket


def _export(client, world, who="staff_a", query=""):
    response = client.get(f"{URL}?{query}", headers=world.h(who))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def _rows(response) -> list[dict]:
    raw = response.get_data()
    assert raw.startswith(codecs.BOM_UTF8)
    reader = csv.reader(io.StringIO(raw[len(codecs.BOM_UTF8):].decode("utf-8"), newline=""))
    header, *rows = list(reader)
    return [dict(zip(header, row)) for row in rows]


def _queue_ids(client, world, who="staff_a", query="") -> list[int]:
    response = client.get(f"/api/v1/tickets?limit=100&{query}", headers=world.h(who))
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_a_file_for_excel_with_a_bom_and_a_chinese_header(client, ctx):
    world = build_world()
    ticket = _ticket(world)
    ops.accept(world.staff_a, ticket)
    ops.dispatch(world.staff_a, ticket, assignee_id=world.worker_a.id)
    ticket.created_at = datetime(2026, 11, 1, 15, 30, tzinfo=timezone.utc)  # 23:30 in Shanghai
    db.session.commit()
    response = _export(client, world)
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    assert re.fullmatch(r'attachment; filename="tickets-\d{8}\.csv"',
                        response.headers["Content-Disposition"])
    assert response.headers["X-Total-Count"] == "1"
    raw = response.get_data()
    assert raw.startswith(codecs.BOM_UTF8 + "编号,大类,小类,描述,地址".encode("utf-8"))
    header = next(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    for column in ("网格", "状态", "处置人", "上报时间", "期限", "是否超期", "关注人数", "评价"):
        assert column in header
    [row] = _rows(response)
    assert row["编号"] == str(ticket.id)
    assert (row["大类"], row["小类"]) == ("公共设施", "楼道灯损坏")
    assert row["网格"] == "A 三级网格 1" and row["网格编码"] == world.places["a3"].code
    assert row["状态"] == "已派遣" and row["处置人"] == "李师傅"
    assert row["上报时间"] == "2026-11-01 23:30"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", row["期限"])
    assert (row["是否超期"], row["按时立案"], row["关注人数"], row["评价"]) == ("否", "是", "0", "")
    assert "13900000001" not in raw.decode("utf-8") and "王阿姨" not in raw.decode("utf-8")


def test_rows_follow_the_queue_filters_and_order(client, ctx):
    world = build_world()
    lights = [_ticket(world) for _ in range(3)]
    rubbish = _ticket(world, "垃圾堆在楼下", category="垃圾堆放", where=IN_A3B)
    _ticket(world, "100%_噪音", category="噪音扰民")
    ops.accept(world.staff_a, lights[0])
    ops.dispatch(world.staff_a, lights[0], assignee_id=world.worker_a.id)
    lights[1].due_at = utcnow() - timedelta(hours=3)
    rubbish.due_at = utcnow() - timedelta(hours=5)
    ops.reject(world.staff_a, lights[2], "重复上报")
    db.session.commit()
    queries = [
        "", "state=submitted", "state=dispatched,rejected",
        f"category_id={world.cats['楼道灯损坏'].id}", "overdue=true", "overdue=false",
        f"place_id={world.places['a3b'].id}", f"assignee_id={world.worker_a.id}",
        "needs_triage=false", "q=垃圾", "q=100%25_", "q=%25", "created_from=2000-01-01",
        "created_to=2000-01-01",
    ]
    for query in queries:
        exported = [int(row["编号"]) for row in _rows(_export(client, world, query=query))]
        assert exported == _queue_ids(client, world, query=query), query
    assert [int(r["编号"]) for r in _rows(_export(client, world, query="overdue=true"))] == \
        [rubbish.id, lights[1].id]
    assert [r["是否超期"] for r in _rows(_export(client, world, query="overdue=true"))] == \
        ["是", "是"]


@pytest.mark.parametrize("description, exported", [
    ("=1+2", "'=1+2"),
    ("+86 电话", "'+86 电话"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\t=cmd", "'\t=cmd"),
    ("\r=cmd", "'\r=cmd"),
    ("楼道灯=坏了", "楼道灯=坏了"),
    ('灯坏了, 说"明天修"\n第二行', '灯坏了, 说"明天修"\n第二行'),
])
def test_cells_never_become_formulas_and_round_trip(client, ctx, description, exported):
    world = build_world()
    ticket = _ticket(world)
    ticket.description = description  # as stored (reports are stripped; imports may not be)
    db.session.commit()
    [row] = _rows(_export(client, world))
    assert row["描述"] == exported


def test_other_text_cells_are_defused_too(ctx):
    assert export.safe_cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert export.safe_cell("") == "" and export.safe_cell(None) == ""
    assert export.safe_cell("晋阳路") == "晋阳路"


def test_the_cap_is_respected(client, ctx):
    world = build_world()
    ids = [_ticket(world).id for _ in range(5)]
    response = _export(client, world, query="limit=3")
    assert [int(r["编号"]) for r in _rows(response)] == ids[:3]
    assert response.headers["X-Total-Count"] == "5"
    for limit in ("0", "50001", "x"):
        response = client.get(f"{URL}?limit={limit}", headers=world.h("staff_a"))
        assert response.status_code == 422
        assert "limit" in response.get_json()["error"]["fields"]


def test_rows_are_written_in_batches(client, ctx, monkeypatch):
    monkeypatch.setattr(export, "BATCH", 2)
    world = build_world()
    for _ in range(5):
        _ticket(world)
    response = client.get(URL, headers=world.h("staff_a"))
    assert response.status_code == 200
    chunks = list(response.response)  # the body as the server sends it
    assert len(chunks) == 1 + 3  # BOM and header, then 2 + 2 + 1 rows
    body = b"".join(chunks).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(body)))) == 6


def test_each_staff_member_exports_their_own_subtree(client, ctx):
    world = build_world()
    in_a = _ticket(world)
    in_b = _ticket(world, where=IN_B3)
    assert [int(r["编号"]) for r in _rows(_export(client, world, "staff_a"))] == [in_a.id]
    assert [int(r["编号"]) for r in _rows(_export(client, world, "staff_b"))] == [in_b.id]
    assert {int(r["编号"]) for r in _rows(_export(client, world, "street"))} == \
        {in_a.id, in_b.id}
    response = client.get(f"{URL}?place_id={world.places['b'].id}", headers=world.h("staff_a"))
    assert response.status_code == 403
    assert "place_id" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("who", ["reporter", "worker_a"])
def test_residents_and_grid_workers_cannot_export(client, ctx, who):
    world = build_world()
    _ticket(world)
    response = client.get(URL, headers=world.h(who))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_export_needs_a_token(client, ctx):
    response = client.get(URL)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("query", ["created_to=9999-12-31", "created_from=0001-01-01"])
def test_far_dates_are_refused_not_a_server_error(client, ctx, query):
    """Found while building the export: the queue answered 500 (date overflow)."""
    world = build_world()
    for url in (URL, "/api/v1/tickets"):
        response = client.get(f"{url}?{query}", headers=world.h("staff_a"))
        assert response.status_code == 422, (url, response.status_code)
        assert query.split("=")[0] in response.get_json()["error"]["fields"]


def test_the_export_is_documented_as_csv(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/tickets/export.csv"]["get"]
    assert "text/csv" in operation["responses"]["200"]["content"]
    assert "Content-Disposition" in operation["responses"]["200"]["headers"]
    assert operation["security"] == [{"bearerAuth": []}]
    assert "cursor" not in {p["name"] for p in operation["parameters"]}
    stats = spec["paths"]["/api/v1/stats/tickets"]["get"]
    assert {"from", "to", "place_id"} <= {p["name"] for p in stats["parameters"]}


def test_a_reader_of_english_gets_an_english_file(client, ctx):
    """Accept-Language: en (or the staff member's chosen language) gives English column
    names and English states, sources and yes/no; people's text stays as written."""
    world = build_world()
    ticket = _ticket(world)
    ops.accept(world.staff_a, ticket)
    db.session.commit()
    response = client.get(URL, headers={**world.h("staff_a"), "Accept-Language": "en"})
    assert response.status_code == 200
    [row] = _rows(response)
    assert list(row)[:5] == ["No.", "Category", "Subcategory", "Description", "Address"]
    assert row["No."] == str(ticket.id) and row["Description"] == "5栋楼道灯不亮"
    assert (row["State"], row["Source"], row["Overdue"], row["Priority"]) == \
        ("Accepted", "Mini-program", "No", "Normal")
    assert not re.search(r"[\u4e00-\u9fff]", ",".join(list(row)))
    # the same staff member without Accept-Language: Chinese, as before
    [row] = _rows(_export(client, world))
    assert row["状态"] == "已立案"


def test_the_console_export_follows_the_console_language(app, client):
    from tests.browser import world as console_world

    console_world.build(app)  # community A's staff "zhang" and four tickets
    console_world.login(client, "zhang")
    client.set_cookie("linli_console_lang", "en")
    response = client.get("/console/tickets/export.csv")
    assert response.status_code == 200
    rows = _rows(response)
    assert rows and "State" in rows[0] and "状态" not in rows[0]
    assert {row["State"] for row in rows} <= {"Submitted", "Accepted", "Dispatched"}
    client.set_cookie("linli_console_lang", "zh")
    assert "状态" in _rows(client.get("/console/tickets/export.csv"))[0]
