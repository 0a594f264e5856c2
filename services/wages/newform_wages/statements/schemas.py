"""Pay statements' request and response models (a batch line is a `StatementIn`), payments and workers'
pay reports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from newform_common.findings import FindingRef

from ..schemas import Fen, LineId, WorkerId

Hours = Annotated[
    Decimal,
    Field(
        default=Decimal(0),
        max_digits=7,
        decimal_places=2,
        ge=-(10**4),
        le=10**4,
        description="Hours, up to two decimals",
    ),
]
PaymentMethod = Literal["bank", "wallet", "cash", "points", "coupons", "goods"]
DeductionReason = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        pattern=r"^[a-z_]+$",
        description="Reason code: income_tax, social_insurance, housing_fund, "
        "court_order, agreed_by_law (lawful); fine, deposit, risk_money, "
        "equipment_fee (forbidden); late_delivery_penalty (配送超时扣款), punctuality_penalty "
        "(准时率考核扣款): lateness penalties, judged against bad-weather warnings (M8) and, like "
        "anything else, needing a lawful reason (M6)",
    ),
]


class DeductionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: DeductionReason
    amount_fen: Fen
    incurred_at: AwareDatetime | None = Field(
        None,
        description="When the penalty was incurred (with its time zone). A lateness penalty incurred inside an "
        "orange or red bad-weather warning of the engagement's district is an M8 finding; without it, only a "
        "period wholly inside such warnings is (RULES.md)",
    )


class PremiumDayIn(BaseModel):
    """Work on one date that earns a premium — on a working day the hours beyond the normal day, on a
    rest day or a statutory holiday every hour worked; the national calendar decides the premium
    (劳动法 art. 44: 150 / 200 / 300 %)."""

    model_config = ConfigDict(extra="forbid")

    date: date
    hours: Hours
    time_off_in_lieu_on: date | None = Field(
        None,
        description="The day off given in lieu of this rest-day work (补休; not in the future): no 200 % "
        "premium is then due (劳动法 art. 44(2)). Time off does not replace the premium of "
        "overtime on a working day or of work on a statutory holiday",
    )


class StatementIn(BaseModel):
    """One pay statement (工资支付记录): one worker, one pay period of one engagement."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "line_id": "2024-03-w1",
                    "contract_id": "ct_0001",
                    "worker_id": "w_abc123",
                    "period_start": "2024-03-01",
                    "period_end": "2024-03-31",
                    "due_date": "2024-04-10",
                    "gross_fen": 430000,
                    "base_fen": 300000,
                    "piece_fen": 80000,
                    "piece_orders": 800,
                    "overtime_fen": 40000,
                    "bad_weather_allowance_fen": 10000,
                    "deductions": [{"reason": "income_tax", "amount_fen": 1200}],
                    "normal_hours": 168,
                    "overtime_hours": 10,
                    "paid_fen": 428800,
                    "paid_on": "2024-04-08",
                    "payment_method": "bank",
                }
            ]
        },
    )

    line_id: LineId
    contract_id: str = Field(min_length=1, max_length=64, description="The engagement (contracts' contract id)")
    worker_id: WorkerId
    period_start: date
    period_end: date
    due_date: date | None = Field(None, description="Pay day of the period (default: the policy's days after its end)")
    gross_fen: Fen
    base_fen: Fen = 0
    piece_fen: Fen = 0
    piece_orders: int = Field(0, ge=0, le=10**7)
    overtime_fen: Fen = Field(0, description="Overtime pay on working days")
    rest_day_fen: Fen = Field(0, description="Pay for rest-day work without time off in lieu")
    holiday_fen: Fen = Field(0, description="Pay for work on statutory holidays")
    bad_weather_allowance_fen: Fen = 0
    night_allowance_fen: Fen = 0
    other_allowance_fen: Fen = 0
    deductions: list[DeductionIn] = Field(default_factory=list, max_length=50)
    normal_hours: Hours = Decimal(0)
    overtime_hours: Hours = Decimal(0)
    rest_day_hours: Hours = Decimal(0)
    holiday_hours: Hours = Decimal(0)
    night_hours: Hours = Decimal(0)
    premium_days: list[PremiumDayIn] = Field(
        default_factory=list, max_length=62, description="Dates worked that earn a premium (see PremiumDayIn)"
    )
    paid_fen: Fen = 0
    paid_on: date | None = None
    payment_method: PaymentMethod = "bank"


class StatementPublic(BaseModel):
    statement_id: str
    line_id: str
    platform_id: str
    contract_id: str
    worker_id: str
    period_start: date
    period_end: date
    due_date: date
    gross_fen: int
    deductions_fen: int
    paid_fen: int
    paid_on: date | None
    payment_method: str
    normal_minutes: int
    status: str
    pending_schedule: list[date] = Field(
        default_factory=list,
        description="Premium days whose premium waits for the year's State Council holiday "
        "schedule (not loaded yet): judged again when it is; everything else "
        "of the statement is judged",
    )
    findings: list[FindingRef] = []


class PaymentIn(BaseModel):
    paid_fen: int = Field(ge=0, le=10**12, description="Total paid for the statement so far")
    paid_on: date


class PayReportCreate(BaseModel):
    """A worker says a period was unpaid or short-paid."""

    model_config = ConfigDict(extra="forbid")

    platform_id: str = Field(min_length=1, max_length=64)
    period_start: date
    period_end: date
    expected_fen: int = Field(ge=0, le=10**10, description="What the worker expected to be paid")
    received_fen: int = Field(ge=0, le=10**10, description="What the worker received")
    received_on: date | None = None
    note: str | None = Field(None, max_length=500)


class PayReportPublic(BaseModel):
    report_id: str
    worker_id: str
    platform_id: str
    period_start: date
    period_end: date
    outcome: Literal["resolved", "unresolved"]
    differences: list[dict[str, Any]]
    finding: FindingRef | None = None
