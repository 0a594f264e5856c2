"""Helpers of batch paths: ids made many at a time, the garbage collector paused during a batch."""

from __future__ import annotations

import gc
import re

from newform_common.bulk import collector_paused
from newform_common.ids import new_id, new_ids


def test_ids_made_at_once_look_like_ids_made_one_by_one():
    ids = new_ids("st", 1000)
    assert len(set(ids)) == 1000
    pattern = re.compile(r"^st_[0-9a-f]{22}$")
    assert all(pattern.match(i) for i in ids) and pattern.match(new_id("st"))
    assert new_ids("st", 0) == []


def test_the_collector_is_back_when_the_last_pause_ends():
    assert gc.isenabled()
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_overlapping_pauses_still_collect_now_and_then(monkeypatch):
    from newform_common import bulk

    monkeypatch.setattr(bulk, "MAX_PAUSE_S", 0.0)
    collected = []
    monkeypatch.setattr(gc, "collect", lambda *a: collected.append(1) or 0)
    first = collector_paused()
    first.__enter__()
    with collector_paused():
        pass  # ends while the first still runs, after the longest pause: it collects
    first.__exit__(None, None, None)
    assert collected == [1] and gc.isenabled()
