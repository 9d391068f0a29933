"""The console, assembled: the blueprint and its shared guards live in
``console/blueprint.py``; importing the page modules here registers their routes on it.
The app registers ``bp`` from here, so every page is in place.
"""
from __future__ import annotations

from backend.console import (  # noqa: F401 - imported for their routes
    admin, calendar, community_settings, dashboard, home, intake, language, maps,
    organisations, participation, ranking, service, service_points, supervision, tickets,
    volunteers, workers, yards,
)
from backend.console.blueprint import bp

__all__ = ["bp"]
