"""A batch's findings and alert actions grouped into rounds that leave what applying them one by one in
order leaves — so that each round's findings are written set-based and its actions read and flushed
together, instead of a run of findings and one action at a time (a rebuild's log interleaves them finely:
at 1,000,000 workers ~390,000 events in runs of one or two; issue 25).

Why the order may change: a finding or an action touches one alert, of one (rule, subject) — the key the
dedupe of open alerts goes by (`uq_alerts_open_rule_subject`); steps on different keys touch different
rows and read nothing the other writes, so they commute. Two exceptions keep their order:
- the steps of one key: a finding before an action may raise the alert it acts on; one after a resolution
  opens a new alert. A key's steps are in rounds in its own order (its findings, then at most one action;
  the next round continues after that action);
- credit records: a confirming decision of a rule in the credit rules may join another alert's record of
  the same debt (`credit/records.py`, one debt, one record: the first decision makes it, the later ones
  join its chain). These decisions (`Step.joins_debts`) keep their order among themselves: none goes into an
  earlier round than one before it in the batch.

Within a round every finding is applied before every action, each in batch order. Pure: no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Event = TypeVar("Event")


@dataclass(frozen=True)
class Step(Generic[Event]):
    """One event of the alert path: its key (rule, subject), whether it is an action, and whether it is a
    decision that may join another alert's credit record (kept in order with the others)."""

    event: Event
    key: tuple[str, str]
    action: bool
    joins_debts: bool = False


@dataclass
class Round(Generic[Event]):
    findings: list[Event] = field(default_factory=list)
    actions: list[Event] = field(default_factory=list)


def rounds(steps: list[Step[Event]]) -> list[Round[Event]]:
    """The rounds of a batch's steps (given in batch order), in the order to apply them."""
    next_round: dict[tuple[str, str], int] = {}
    debts_floor = 0  # the round of the last decision that may join a debt's record
    found: dict[int, Round[Event]] = defaultdict(Round)
    for step in steps:
        at = next_round.get(step.key, 0)
        if not step.action:
            found[at].findings.append(step.event)
            continue
        if step.joins_debts:
            at = debts_floor = max(at, debts_floor)
        found[at].actions.append(step.event)
        next_round[step.key] = at + 1
    return [found[r] for r in sorted(found)]
