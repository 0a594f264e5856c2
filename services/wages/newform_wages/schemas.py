"""Request and response models. A batch line is the same model as a single statement or session."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from newform_common.findings import FindingRef

LineId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9._:\-]+$",
        description="The platform's stable id of this line: a resent line changes nothing",
    ),
]
WorkerId = Annotated[
    str,
    Field(
        min_length=3,
        max_length=64,
        pattern=r"^w_[a-z0-9]+$",
        description="Pseudonymous worker id (as in contracts' events), never an ID number",
    ),
]
Fen = Annotated[int, Field(le=10**12, ge=-(10**12), description="Amount in fen (integer)")]
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
        "equipment_fee (forbidden); anything else needs a lawful reason",
    ),
]


class DeductionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: DeductionReason
    amount_fen: Fen


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


class SessionIn(BaseModel):
    """One work session: online from start to end on one platform (working time per the 2024 guideline)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "line_id": "s-2024-03-04-1",
                    "worker_id": "w_abc123",
                    "contract_id": "ct_0001",
                    "post": "rider",
                    "started_at": "2024-03-04T08:00:00+08:00",
                    "ended_at": "2024-03-04T12:00:00+08:00",
                    "order_minutes": 180,
                    "orders_completed": 18,
                }
            ]
        },
    )

    line_id: LineId
    worker_id: WorkerId
    contract_id: str | None = Field(None, max_length=64)
    post: str | None = Field(None, max_length=64, description="The same-quota group (岗位)")
    started_at: AwareDatetime
    ended_at: AwareDatetime
    order_minutes: int = Field(0, ge=-(10**6), le=10**6, description="Time on orders within the session")
    orders_completed: int = Field(0, ge=-(10**6), le=10**6)
    required_online: bool = Field(
        True, description="Online time the platform required counts as working time (else only the order time does)"
    )


class LineError(BaseModel):
    line: int = Field(description="1-based line number in the upload (CSV: the data row, header excluded)")
    line_id: str | None = None
    field: str | None = None
    message: str
    measure: str | None = None
    rule: str | None = None
    type: str = Field(
        "invalid-line", description="invalid-line | policy-not-in-force | predates-policy | duplicate-line-id"
    )


class BatchPublic(BaseModel):
    """A batch upload: status and counts (lines = accepted + duplicates + rejected)."""

    model_config = ConfigDict(from_attributes=True)

    batch_id: str
    platform_id: str
    kind: Literal["statements", "sessions"]
    format: Literal["jsonl", "csv", "json"]
    status: Literal["processing", "completed"]
    line_count: int
    accepted: int
    duplicates: int = Field(description="Lines whose line id was stored already: nothing changed")
    rejected: int
    pending: int = Field(description="Accepted statements waiting for their engagement from contracts")
    findings: int
    errors: list[LineError]
    created_at: datetime
    completed_at: datetime | None


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


class SessionPublic(BaseModel):
    session_id: str
    line_id: str
    platform_id: str
    worker_id: str
    post: str | None
    started_at: datetime
    ended_at: datetime
    work_date: date
    working_minutes: int
    orders_completed: int


class HoursDay(BaseModel):
    work_date: date
    minutes: int
    by_platform: dict[str, int]


class HoursSummary(BaseModel):
    worker_id: str
    month: str
    total_minutes: int
    days: list[HoursDay]


class QuotaCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    post: str = Field(min_length=1, max_length=64)
    orders_per_day: int = Field(gt=0, le=10**5)
    effective_from: date


class QuotaPublic(QuotaCreate):
    quota_id: str
    platform_id: str


class QuotaAssessment(BaseModel):
    quota_id: str
    post: str
    work_date: date
    workers: int
    reaching: int
    met: bool
    finding: FindingRef | None = None


class RelatedUnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: str = Field(min_length=1, max_length=64, description="The unit's id in contracts")
    name: str = Field(min_length=1, max_length=200)
    credit_code: str = Field(min_length=18, max_length=18, description="统一社会信用代码")
    kind: Literal["dispatch_agency", "outsourcer", "franchisee", "agent"]
    platform_entrusted_to_pay: bool = Field(description="The platform pays the unit's staff on its behalf")


class RelatedUnitPublic(RelatedUnitCreate):
    related_unit_id: str
    platform_id: str


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
