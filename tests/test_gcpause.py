"""paused_gc: the collector is off inside, and back as it was afterwards, errors included."""

from __future__ import annotations

import gc

import pytest

from graphiam.gcpause import paused_gc
from graphiam.graph.build import build_graph
from builders import Org, trust_account


def test_the_collector_is_off_inside_and_restored_after():
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():  # nested: the inner one leaves it off
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_restores_the_collector():
    with pytest.raises(RuntimeError):
        with paused_gc():
            raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_build_leaves_the_collector_on():
    org = Org()
    org.account("222222222222").role("Deploy", trusts=trust_account("222222222222"))
    build_graph(org.snapshot())
    assert gc.isenabled()


def test_survivors_are_frozen_only_when_the_process_asks():
    """The command freezes what a bulk phase leaves alive; a library caller's graphs stay collectable."""
    from graphiam.gcpause import freeze_survivors

    gc.unfreeze()
    with paused_gc():
        kept = [object() for _ in range(10)]
    assert gc.get_freeze_count() == 0  # the default: nothing frozen
    freeze_survivors()
    try:
        with paused_gc():
            kept.append(object())
        assert gc.get_freeze_count() > 0 and gc.isenabled()
    finally:
        freeze_survivors(False)
        gc.unfreeze()
    assert kept
