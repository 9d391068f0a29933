"""The yard self-government operations under schemathesis (tests/test_schemathesis.py's
run, restricted to this feature's paths): generated valid and invalid requests as a
resident and as staff never get a 5xx and always answer as documented."""
from __future__ import annotations

import pytest
import schemathesis

from tests import demo_world
from tests import test_schemathesis as whole_api

OURS = (r"^/api/v1/(me/yards|me/conventions|yards|yard-committee|conventions|convention-versions"
        r"|communities/\{community_id\}/conventions)")


@pytest.fixture
def world(app):
    return demo_world.built(app)


@pytest.mark.parametrize("role", ["caller", "staff"])
def test_yard_operations_answer_as_documented(app, world, role, monkeypatch):
    load = schemathesis.openapi.from_wsgi
    monkeypatch.setattr(schemathesis.openapi, "from_wsgi",
                        lambda *a, **k: load(*a, **k).include(path_regex=OURS))
    failures = whole_api._run(app, world, role)
    assert not failures, "\n\n".join(m for ms in failures.values() for m in ms)
