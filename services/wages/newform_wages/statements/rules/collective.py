"""Collective standards on a pay statement (M6 pay, M7 night work; 劳动合同法 art. 55: an individual's pay and
conditions may not be below the collective contract's). The figures are the collective contract's own
(its agreed piece rates and night allowance), never policy literals; which contract binds is
`newform_common.collective` `binding` (the kit) (in force on the statement's period end, covering its platform,
occupation and district). Where several bind, the highest standard is the one judged (each binds; the
highest decides whether any is broken), and the finding names that contract.

The bad-weather allowance is not judged: no fact says yet which days had bad weather (RULES.md)."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from newform_common.collective import Collective

from ...rules import FindingSpec, Severity
from .facts import Statement


def check_collective_piece_rate(s: Statement, occupation: str, binding: Sequence[Collective]) -> FindingSpec | None:
    """M6.collective_piece_rate_below (劳动合同法 art. 55; the measures item 6: pay as the collective contract
    agrees): the statement's average piece pay (`piece_fen / piece_orders`) below the **lowest** agreed
    piece rate of the occupation — below every order type's rate, so a breach whatever the types were."""
    if s.piece_orders <= 0:
        return None
    agreed = [(c, rate) for c in binding if (rate := c.lowest_piece_rate(occupation)) is not None]
    if not agreed:
        return None
    contract, minimum = max(agreed, key=lambda a: a[1])
    if s.piece_fen >= minimum * s.piece_orders:
        return None
    average = Fraction(s.piece_fen, s.piece_orders)
    return FindingSpec(
        "M6",
        "M6.collective_piece_rate_below",
        Severity.high,
        f"计件单价平均 {float(average) / 100:.2f} 元/单，低于集体合同约定的最低计件单价 {minimum / 100:.2f} 元/单",
        {
            "collective_contract_id": contract.collective_contract_id,
            "occupation": occupation,
            "agreed_min_rate_fen": minimum,
            "average_rate_fen": round(float(average), 2),
            "piece_fen": s.piece_fen,
            "piece_orders": s.piece_orders,
            "period_end": s.period_end.isoformat(),
            "legal_source": "劳动合同法 第五十五条",
        },
    )


def check_collective_night_allowance(s: Statement, binding: Sequence[Collective]) -> FindingSpec | None:
    """M7.collective_night_allowance_below (劳动合同法 art. 55; the measures item 7: allowances for night work
    set by collective consultation): night hours worked, and the night allowance paid below night hours ×
    the agreed allowance per hour."""
    if s.night_minutes <= 0:
        return None
    agreed = [(c, c.night_allowance_fen_per_hour) for c in binding if c.night_allowance_fen_per_hour is not None]
    if not agreed:
        return None
    contract, per_hour = max(agreed, key=lambda a: a[1] or 0)
    assert per_hour is not None
    if s.night_allowance_fen * 60 >= s.night_minutes * per_hour:
        return None
    owed = -(-s.night_minutes * per_hour // 60)
    return FindingSpec(
        "M7",
        "M7.collective_night_allowance_below",
        Severity.medium,
        f"夜班 {s.night_minutes / 60:g} 小时，夜班补贴 {s.night_allowance_fen / 100:.2f} 元，"
        f"低于集体合同约定的 {owed / 100:.2f} 元（{per_hour / 100:.2f} 元/小时）",
        {
            "collective_contract_id": contract.collective_contract_id,
            "agreed_night_allowance_fen_per_hour": per_hour,
            "night_minutes": s.night_minutes,
            "night_allowance_fen": s.night_allowance_fen,
            "owed_fen": owed,
            "period_end": s.period_end.isoformat(),
            "legal_source": "劳动合同法 第五十五条",
        },
    )


def check_collective_standards(s: Statement, occupation: str, binding: Sequence[Collective]) -> list[FindingSpec]:
    """Every collective standard wages can judge on one statement (none when no contract binds it)."""
    if not binding:
        return []
    found = [check_collective_piece_rate(s, occupation, binding), check_collective_night_allowance(s, binding)]
    return [f for f in found if f is not None]
