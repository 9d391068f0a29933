"""API reads (GET) never write, and on PostgreSQL run without a transaction.

A separate app (same database) carries two routes that try to write during a GET: both
fail in the one error shape and nothing is written. The real routes are walked by
tests/test_privacy_walk.py, which would fail on the 500 any writing GET now gets.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Blueprint

from backend.extensions import db
from backend.tickets.models import Department
from tests.conftest import make_test_app


@pytest.fixture()
def writing_app(app, database, wechat_server):
    url, options = database
    other = make_test_app(url, options, wechat_server.base_url)
    probe = Blueprint("write_probe", __name__)

    def autocommit():
        conn = db.session.connection()
        return (bool(conn.connection.dbapi_connection.autocommit)
                if conn.dialect.name == "postgresql" else None)

    @probe.route("/api/v1/_probe/flush", methods=["GET", "POST"])
    def flush():
        db.session.add(Department(name="读时写入的部门"))
        db.session.flush()
        return {"ok": True, "autocommit": autocommit()}

    @probe.route("/api/v1/_probe/update", methods=["GET", "POST"])
    def update():
        db.session.execute(sa.update(Department).values(name="读时改名"))
        return {"ok": True}

    @probe.route("/api/v1/_probe/read", methods=["GET"])
    def read():
        return {"autocommit": autocommit(),
                "departments": db.session.execute(
                    sa.select(sa.func.count()).select_from(Department)).scalar_one()}

    other.register_blueprint(probe)
    yield other
    with other.app_context():
        db.engine.dispose()


def _departments(app) -> list[str]:
    with app.app_context():
        names = db.session.execute(sa.select(Department.name)).scalars().all()
        db.session.remove()
        return sorted(names)


def test_a_read_that_tries_to_write_fails_and_writes_nothing(app, writing_app):
    with app.app_context():
        db.session.add(Department(name="城管执法中队"))
        db.session.commit()
        db.session.remove()
    client = writing_app.test_client()
    for path in ("/api/v1/_probe/flush", "/api/v1/_probe/update"):
        response = client.get(path)
        assert response.status_code == 500
        assert response.get_json()["error"]["code"] == "internal_error"
    assert _departments(app) == ["城管执法中队"]
    # the same writes through a POST are the request's own and commit with it
    assert client.post("/api/v1/_probe/flush").status_code == 200
    assert _departments(app) == ["城管执法中队", "读时写入的部门"]


def test_a_read_sees_committed_data_without_a_transaction_on_postgresql(app, writing_app):
    with app.app_context():
        db.session.add(Department(name="城管执法中队"))
        db.session.commit()
        db.session.remove()
    body = writing_app.test_client().get("/api/v1/_probe/read").get_json()
    assert body["departments"] == 1
    with writing_app.app_context():
        on_postgresql = db.engine.dialect.name == "postgresql"
    assert body["autocommit"] is (True if on_postgresql else None)
    # the connection goes back to the pool as it came: the next write has its transaction
    answer = writing_app.test_client().post("/api/v1/_probe/flush")
    assert answer.status_code == 200
    assert answer.get_json()["autocommit"] is (False if on_postgresql else None)
