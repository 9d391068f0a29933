"""Periodic sweeps: work that falls due with time rather than with a request (the case
loop's 催办, 督办 and automatic closing, ``tickets.deadlines.sweep``).

As with the retention purges (``core.maintenance``), the app registers what runs
(``register``) and the notification worker runs it every ``SWEEP_EVERY_MINUTES``, so the
worker never imports the features above it. A sweep commits its own work, answers what
it did as {step: count}, and is safe to run twice at once.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable, Optional

from flask import Flask, current_app

_EXTENSION = "linli_sweeps"

Sweep = Callable[[Optional[datetime]], dict[str, int]]


def register(app: Flask, name: str, sweep: Sweep) -> None:
    app.extensions.setdefault(_EXTENSION, {})[name] = sweep


def run(now: Optional[datetime] = None) -> dict[str, dict[str, int]]:
    """Every registered sweep, in the order registered: {name: what it did}."""
    return {name: sweep(now) for name, sweep in current_app.extensions.get(_EXTENSION,
                                                                           {}).items()}


def describe(result: dict[str, dict[str, int]]) -> str:
    return "; ".join(f"{name}: " + ", ".join(f"{count} {step}" for step, count in counts.items())
                     for name, counts in result.items()) or "nothing registered"
