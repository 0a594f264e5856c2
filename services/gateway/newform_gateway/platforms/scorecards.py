"""Platform scorecards in the spirit of Fairwork's five principles, mapped to the measures.

Pure functions over read-model numbers. Each principle scores 0, 1 or 2 points, each point with the
evidence behind it — or `status: "no_data"` with a null score when a service that feeds it does not
exist yet (or the platform has no facts for it): never a made-up number.

| principle      | measures      | fed by               |
|----------------|---------------|----------------------|
| pay            | M6, M7        | wages                |
| conditions     | M7, M8, M9    | wages, contracts     |
| contracts      | M1–M5         | contracts            |
| management     | M5, M10       | contracts, disputes  |
| representation | M10, M17      | contracts            |

Scoring (thresholds are policy data, in percent: `scorecards.contract_coverage_percent` and
`scorecards.consulted_share_percent`, each `{basic, good}`):
- Point 1 ("basic"): no *open high-severity* alert under the principle's measures, and the
  principle's basic threshold holds.
- Point 2 ("good"): point 1, no *open alert at all* under its measures, and the good threshold holds.
- contracts: basic = contract coverage (workers with a signed, active contract per active
  registration) >= basic; good = >= good.
- representation: basic = at least `basic` percent of published rule notices were consulted
  with the union or worker representatives (M10); good = at least `good` percent (all: 100). Beside
  the score, not scored, the union figures (M17, once the unions service is heard from): the platform's
  union coverage exactly as `GET /v1/unions/coverage?by=platform` gives it (its registered workers, the
  members among them, the percent rounded down; unions' RULES.md "Union coverage") and the collective
  contracts in force binding it.
- management: basic = at least `basic` percent of the complaints whose reply is settled (answered,
  or the reply time ran out) were answered in time (`scorecards.complaint_reply_on_time_percent`,
  M10, from the disputes service); good = at least `good` percent. No settled complaint yet: alerts only.
- pay: basic = at least `basic` percent of the platform's judged pay statements compliant (minimum
  wage met, paid in full on time, no rule broken; `scorecards.pay_compliance_percent`); good = `good`.
- conditions: alerts only, once their feeding services exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from newform_common.policy import business_today, get_policy


def thresholds(name: str, on: date) -> tuple[float, float]:
    """(basic, good) of `scorecards.<name>` in force on `on`, as shares of 1."""
    table = get_policy().value(f"scorecards.{name}", on)
    return table["basic"] / 100, table["good"] / 100


@dataclass(frozen=True)
class Principle:
    code: str
    zh: str
    en: str
    measures: tuple[str, ...]
    feeds: tuple[str, ...]


PRINCIPLES: tuple[Principle, ...] = (
    Principle("pay", "公平报酬", "Fair pay", ("M6", "M7"), ("wages",)),
    Principle("conditions", "公平工作条件", "Fair conditions", ("M7", "M8", "M9"), ("wages", "contracts")),
    Principle("contracts", "公平合同", "Fair contracts", ("M1", "M2", "M3", "M4", "M5"), ("contracts",)),
    Principle("management", "公平管理", "Fair management", ("M5", "M10"), ("contracts", "disputes")),
    Principle("representation", "公平代表", "Fair representation", ("M10", "M17"), ("contracts",)),
)


@dataclass
class PlatformNumbers:
    """What the read models know about one platform."""

    platform_id: str
    services_seen: set[str]
    active_registrations: int = 0
    workers_with_signed_contract: int = 0
    signed_active_contracts: int = 0
    insured_signed_contracts: int = 0
    # open (unresolved) alerts: (alert_id, measure, severity)
    open_alerts: list[tuple[str, str, str]] = field(default_factory=list)
    rule_notices: int = 0
    consulted_notices: int = 0
    # wages: judged pay statements, and those compliant (minimum wage, paid in full on time, no breach)
    wage_statements_judged: int = 0
    wage_statements_compliant: int = 0
    # complaints whose reply is settled (answered or overdue), and those answered in time (disputes)
    complaints_settled: int = 0
    complaints_answered_on_time: int = 0
    # unions (M17): the platform's union coverage, the figure of `GET /v1/unions/coverage?by=platform` —
    # people with an active registration with it, those of them holding an active membership of any union,
    # the percent rounded down (None without registered workers) — and collective contracts in force
    # binding it; None until the unions service has been heard from
    union_members: int | None = None
    union_registered_workers: int | None = None
    union_coverage_percent: int | None = None
    collective_contracts_in_force: int | None = None


def union_figures(n: PlatformNumbers) -> dict[str, Any] | None:
    """The democratic-consultation column's union figures (M17): shown beside the score, not scored —
    no policy figure says yet what coverage or which contracts a point requires. The same words and
    numbers as the platform's row of union coverage (members among its registered workers)."""
    if n.union_members is None:
        return None
    return {
        "members": n.union_members,
        "registered_workers": n.union_registered_workers,
        "coverage_percent": n.union_coverage_percent,
        "collective_contracts_in_force": n.collective_contracts_in_force,
    }


def contract_coverage(n: PlatformNumbers) -> float | None:
    if n.active_registrations == 0:
        return None
    return min(n.workers_with_signed_contract / n.active_registrations, 1.0)


def insurance_coverage(n: PlatformNumbers) -> float | None:
    if n.signed_active_contracts == 0:
        return None
    return n.insured_signed_contracts / n.signed_active_contracts


def _no_data(p: Principle, reason: str) -> dict[str, Any]:
    return {
        "principle": p.code,
        "title_zh": p.zh,
        "title_en": p.en,
        "measures": list(p.measures),
        "status": "no_data",
        "score": None,
        "max_score": 2,
        "reason": reason,
        "points": [],
    }


def _score(
    p: Principle, n: PlatformNumbers, basic: tuple[bool, str] | None, good: tuple[bool, str] | None
) -> dict[str, Any]:
    mine = [a for a in n.open_alerts if a[1] in p.measures]
    high = [a for a in mine if a[2] == "high"]
    basic_ok = not high and (basic is None or basic[0])
    good_ok = basic_ok and not mine and (good is None or good[0])
    points = [
        {
            "point": 1,
            "awarded": basic_ok,
            "evidence": {"open_high_severity_alerts": [a[0] for a in high], "threshold": basic[1] if basic else None},
        },
        {
            "point": 2,
            "awarded": good_ok,
            "evidence": {"open_alerts": [a[0] for a in mine], "threshold": good[1] if good else None},
        },
    ]
    return {
        "principle": p.code,
        "title_zh": p.zh,
        "title_en": p.en,
        "measures": list(p.measures),
        "status": "scored",
        "score": int(basic_ok) + int(good_ok),
        "max_score": 2,
        "reason": None,
        "points": points,
    }


def score_principle(p: Principle, n: PlatformNumbers, on: date | None = None) -> dict[str, Any]:
    on = on or business_today()
    missing = [s for s in p.feeds if s not in n.services_seen]
    if missing:
        return _no_data(p, f"no data yet from: {', '.join(missing)}")
    if p.code == "contracts":
        coverage = contract_coverage(n)
        if coverage is None:
            return _no_data(p, "no active worker registrations")
        basic, good = thresholds("contract_coverage_percent", on)
        return _score(
            p,
            n,
            (coverage >= basic, f"contract coverage {coverage:.0%} >= {basic:.0%}"),
            (coverage >= good, f"contract coverage {coverage:.0%} >= {good:.0%}"),
        )
    if p.code == "representation":
        if n.rule_notices == 0:
            return {**_no_data(p, "no rule notices published yet"), "unions": union_figures(n)}
        share = n.consulted_notices / n.rule_notices
        basic, good = thresholds("consulted_share_percent", on)
        consulted = f"{n.consulted_notices}/{n.rule_notices} notices consulted"
        scored = _score(
            p, n, (share >= basic, f"{consulted} >= {basic:.0%}"), (share >= good, f"{consulted} >= {good:.0%}")
        )
        return {**scored, "unions": union_figures(n)}
    if p.code == "pay":
        if n.wage_statements_judged == 0:
            return _no_data(p, "no judged pay statements yet")
        share = n.wage_statements_compliant / n.wage_statements_judged
        basic, good = thresholds("pay_compliance_percent", on)
        compliant = f"{n.wage_statements_compliant}/{n.wage_statements_judged} statements compliant"
        return _score(
            p, n, (share >= basic, f"{compliant} >= {basic:.0%}"), (share >= good, f"{compliant} >= {good:.0%}")
        )
    if p.code == "management" and n.complaints_settled:
        share = n.complaints_answered_on_time / n.complaints_settled
        basic, good = thresholds("complaint_reply_on_time_percent", on)
        answered = f"{n.complaints_answered_on_time}/{n.complaints_settled} complaints answered in time"
        return _score(
            p, n, (share >= basic, f"{answered} >= {basic:.0%}"), (share >= good, f"{answered} >= {good:.0%}")
        )
    return _score(p, n, None, None)


def scorecard(n: PlatformNumbers, on: date | None = None) -> dict[str, Any]:
    principles = [score_principle(p, n, on) for p in PRINCIPLES]
    scored = [p for p in principles if p["status"] == "scored"]
    return {
        "platform_id": n.platform_id,
        "principles": principles,
        "total": sum(p["score"] for p in scored) if scored else None,
        "max_total": 2 * len(scored),
        "contract_coverage": contract_coverage(n),
        "insurance_coverage": insurance_coverage(n),
    }
