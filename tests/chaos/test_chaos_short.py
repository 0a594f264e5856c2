"""The short fault suite inside `make test`: the same faults as `make chaos` with shorter outages
(a Kafka node stopped, a partition leader killed, replicas of contracts and the gateway killed,
PostgreSQL stopped, poison events), and every check must hold."""

from __future__ import annotations

import subprocess
import sys

import pytest

from newform_local.ports import repo_root


@pytest.mark.timeout(1200)
def test_short_fault_suite_loses_nothing_duplicates_nothing_and_dead_letters_exactly_the_poison():
    result = subprocess.run(
        [sys.executable, "-m", "tests.chaos.run", "--short"],
        cwd=repo_root(),
        capture_output=True,
        text=True,
        timeout=1100,
    )
    output = result.stdout + result.stderr[-3000:]
    assert "| fault | writes | acknowledged | lost | duplicated effects | recovery time |" in result.stdout, output
    assert "FAIL " not in result.stdout, output
    assert result.returncode == 0, output
    # The supervisor said what happened, as `newform dev` does.
    for report in (
        "is down: the cluster carries on with 2 of 3 nodes",
        "is down: services answer 503",
        "contracts#",
        "restarted (restart 1)",
        "gateway#",
    ):
        assert report in result.stdout, output
    for check in (
        "every acknowledged write is in the contracts database",
        "no write took effect twice",
        "each committed fact is in the gateway's event log exactly once per ce_id",
        "the gateway's read models equal a fresh rebuild",
        "nothing stays in the outbox",
        "the DLQ holds exactly the poison events",
    ):
        assert f"PASS  {check}" in result.stdout, output
