"""``flask --app backend open311 keys create NAME | list | revoke ID``."""
from __future__ import annotations

import re

import sqlalchemy as sa

from backend.extensions import db
from backend.open311.models import Open311Key
from tests import factories as f
from tests.tickets_world import IN_A3

BASE = "/open311/v2"


def _file(client, key):
    return client.post(f"{BASE}/requests.json", data={
        "api_key": key, "service_code": "0101", "description": "楼道灯不亮",
        "lat": str(IN_A3[0]), "long": str(IN_A3[1])})


def test_keys_are_created_listed_and_revoked(app, client, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_APPID", "")
    f.two_communities()
    f.categories()
    runner = app.test_cli_runner()

    created = runner.invoke(args=["open311", "keys", "create", "FixMyStreet"])
    assert created.exit_code == 0, created.output
    raw = re.search(r"api_key: (\S+)", created.output).group(1)
    key = db.session.execute(sa.select(Open311Key)).scalar_one()
    # stored as its SHA-256 only, with a resident reporter account of its own
    assert key.key_hash != raw and len(key.key_hash) == 64 and raw not in key.key_hash
    assert key.user.role == "resident" and key.user.openid is None
    assert key.user.display_name == "Open311 FixMyStreet"

    again = runner.invoke(args=["open311", "keys", "create", "FixMyStreet"])
    assert again.exit_code != 0 and "exists" in again.output

    assert _file(client, raw).status_code == 201
    listed = runner.invoke(args=["open311", "keys", "list"])
    assert listed.exit_code == 0
    assert "FixMyStreet" in listed.output and "active" in listed.output
    assert raw not in listed.output and raw[:12] in listed.output

    revoked = runner.invoke(args=["open311", "keys", "revoke", str(key.id)])
    assert revoked.exit_code == 0, revoked.output
    db.session.expire_all()
    assert key.revoked_at is not None and key.user.is_active is False
    assert "revoked" in runner.invoke(args=["open311", "keys", "list"]).output
    assert _file(client, raw).status_code == 403

    missing = runner.invoke(args=["open311", "keys", "revoke", "999"])
    assert missing.exit_code != 0 and "no key" in missing.output


def test_an_empty_list_says_so(app, ctx):
    result = app.test_cli_runner().invoke(args=["open311", "keys", "list"])
    assert result.exit_code == 0 and "no keys" in result.output
