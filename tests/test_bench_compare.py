"""bench/compare.py's figure for one request of the mix: every operation of bench/load.py's
mix, each weighted by its share of requests."""
from __future__ import annotations

import importlib

import pytest


def _module(name: str):
    return importlib.import_module(f"bench.{name}")


@pytest.fixture(scope="module")
def compare():
    return _module("compare")


def test_every_operation_of_the_mix_has_its_measure(compare):
    mix = dict(_module("load").MIX)
    assert set(compare.MIX_OPERATIONS) == set(mix)
    measured = set(_module("profile_request").OPERATIONS)
    assert set(compare.MIX_OPERATIONS.values()) <= measured


def test_the_mix_is_weighted_by_the_shares(compare):
    mix = dict(_module("load").MIX)
    ops = list(compare.MIX_OPERATIONS.values())
    base = {op: (10.0, 2.0) for op in ops}
    this = {op: (5.0, 1.0) for op in ops}
    upload = compare.MIX_OPERATIONS["upload"]
    this[upload] = (45.0, 1.0)  # only the uploads dearer
    before, after, statements = compare.mix_average({"base": [base], "this": [this]})
    share = mix["upload"] / sum(mix.values())
    assert before == pytest.approx(10.0)
    assert after == pytest.approx(5.0 + share * 40.0)
    assert statements == (pytest.approx(2.0), pytest.approx(1.0))


def test_no_mix_figure_unless_every_operation_was_measured(compare):
    ops = list(compare.MIX_OPERATIONS.values())
    full = {op: (1.0, 1.0) for op in ops}
    partial = {op: (1.0, 1.0) for op in ops[1:]}
    assert compare.mix_average({"base": [full], "this": [partial]}) is None
