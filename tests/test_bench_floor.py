"""The bare app bench/floor.py measures Linli against (bench/floor_app.py) still works.

In process with Flask's test client, on a scratch SQLite file (and in a scratch schema of
``TEST_DATABASE_URL`` when it is set): a creation is stored once with its event, a retry
with the same Idempotency-Key replays it, a wrong token is 401, a bad body 422.
"""
from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

from bench import floor_app

TOKEN = "floor-test-token"
BODY = {"category_id": 3, "description": "楼道灯不亮 [bench-t-1]", "lat": 30.63,
        "lng": 104.04, "address": "3栋2单元"}


def _databases():
    yield pytest.param("sqlite", id="sqlite")
    if os.environ.get("TEST_DATABASE_URL"):
        yield pytest.param("postgresql", id="postgresql")


@pytest.fixture(params=list(_databases()))
def floor(request, tmp_path):
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'floor.db'}"
    else:
        base = os.environ["TEST_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
        schema = f"floor_test_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        sep = "&" if "?" in base else "?"
        url = f"{base}{sep}options=-csearch_path%3D{schema}"
    flask_app = floor_app.create_app(url)
    with flask_app.app_context():
        floor_app.db.create_all()
        floor_app.db.session.add(floor_app.Token(token_hash=floor_app.token_hash(TOKEN),
                                                 user_id=7))
        floor_app.db.session.commit()
    try:
        yield flask_app
    finally:
        with flask_app.app_context():
            floor_app.db.session.remove()
            floor_app.db.engine.dispose()
        if schema:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()


def _count(flask_app, model) -> int:
    with flask_app.app_context():
        return floor_app.db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _post(client, body, token=TOKEN, key="key-1"):
    return client.post("/api/v1/tickets", json=body, headers={
        "Authorization": f"Bearer {token}", "Idempotency-Key": key})


def test_livez(floor):
    answer = floor.test_client().get("/livez")
    assert answer.status_code == 200 and answer.get_json() == {"status": "ok"}


def test_creation_once_and_replayed(floor):
    client = floor.test_client()
    first = _post(client, BODY)
    assert first.status_code == 201, first.get_data(as_text=True)
    ticket = first.get_json()
    assert ticket["description"] == BODY["description"] and ticket["state"] == "submitted"
    again = _post(client, BODY)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == ticket
    assert _post(client, {**BODY, "description": "别的"}).status_code == 422
    assert _post(client, BODY, key="key-2").get_json()["id"] != ticket["id"]
    assert _count(floor, floor_app.Ticket) == 2
    assert _count(floor, floor_app.TicketEvent) == 2


def test_refusals(floor):
    client = floor.test_client()
    assert _post(client, BODY, token="wrong").status_code == 401
    assert client.post("/api/v1/tickets", json=BODY).status_code == 401
    bad = _post(client, {**BODY, "lat": "north", "category_id": None})
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) == {"lat", "category_id"}
    assert _post(client, {}, key="key-3").status_code == 422
    assert _count(floor, floor_app.Ticket) == 0
    assert _count(floor, floor_app.IdempotencyKey) == 0
