"""Staff passwords: the service hashes them with scrypt (werkzeug), by PASSWORD_HASH_METHOD;
the tests' cheap method (tests/passwords.py) is the tests' setting, never the service's."""
from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash

from backend.accounts import operations as accounts
from backend.accounts.models import User
from backend.config import load_config
from backend.core.errors import ApiError
from backend.extensions import db
from tests import factories as f
from tests.passwords import TEST_PASSWORD_HASH_METHOD

PASSWORD = "correct horse battery"


def test_the_service_hashes_with_scrypt(tmp_path):
    config = load_config(str(tmp_path), {"SECRET_KEY": "k"})
    assert config["PASSWORD_HASH_METHOD"] == "scrypt"


def test_staff_are_hashed_by_the_configured_method(app, ctx):
    staff = f.staff(f.two_communities()["a"], username="hash-test", password=PASSWORD)
    assert staff.password_hash.startswith(TEST_PASSWORD_HASH_METHOD + "$")
    assert check_password_hash(staff.password_hash, PASSWORD)

    app.config["PASSWORD_HASH_METHOD"] = "scrypt"
    try:
        admin = f.staff(None, role="admin", username="hash-admin")
        target, _generated = accounts.reset_password(admin, staff, PASSWORD + "!")
        assert target.password_hash.startswith("scrypt:32768:8:1$")
        assert check_password_hash(target.password_hash, PASSWORD + "!")
    finally:
        app.config["PASSWORD_HASH_METHOD"] = TEST_PASSWORD_HASH_METHOD
    db.session.rollback()


def test_a_login_as_nobody_checks_a_hash_of_the_same_method(app, ctx, monkeypatch):
    """An unknown name costs what a wrong password costs: the dummy hash checked is made
    by the configured method."""
    checked = []
    real_check = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash",
                        lambda stored, given: checked.append(stored) or real_check(stored, given))
    app.config["PASSWORD_HASH_METHOD"] = "scrypt"
    try:
        with pytest.raises(ApiError) as refused:
            accounts.password_login("nobody-at-all", PASSWORD)
        assert (refused.value.status, refused.value.code) == (401, "bad_credentials")
    finally:
        app.config["PASSWORD_HASH_METHOD"] = TEST_PASSWORD_HASH_METHOD
    assert len(checked) == 1 and checked[0].startswith("scrypt:")


def test_staff_made_through_the_api_get_the_services_hash_and_log_in(app, client, ctx):
    """What tests/test_workers_api.py asserted before the tests' setting: an account an admin
    creates through the API is stored with the service's own hash, and logs in with it."""
    world = f.two_communities()
    admin = f.staff(None, role="admin", username="hash-api-admin")
    db.session.commit()
    app.config["PASSWORD_HASH_METHOD"] = "scrypt"
    try:
        response = client.post("/api/v1/staff", headers=f.auth(f.token_for(admin)), json={
            "username": "hash-api-wang", "password": PASSWORD, "display_name": "王老师",
            "scope_place_id": world["a"].id})
        assert response.status_code == 201, response.get_data(as_text=True)
        stored = db.session.get(User, response.get_json()["id"]).password_hash
        assert stored.startswith("scrypt:32768:8:1$") and PASSWORD not in stored
        response = client.post("/api/v1/auth/login",
                               json={"username": "hash-api-wang", "password": PASSWORD})
        assert response.status_code == 200, response.get_data(as_text=True)
    finally:
        app.config["PASSWORD_HASH_METHOD"] = TEST_PASSWORD_HASH_METHOD
