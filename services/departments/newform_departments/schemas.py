"""Request and response models (`XIn` per kind of fact, `FactPublic`, batches, audit).

A department names a worker by resident ID number (what its own registry holds); the service keeps
only the pseudonymous worker id and the number encrypted. Enterprises are named by their unified
social credit code. Every fact carries the department's own reference number and, optionally, the
time the department established it (`observed_at`; default: when it reached us).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from newform_common import vocabulary, weather

District = vocabulary.literal("districts")

Reference = Field(min_length=1, max_length=100, description="the department's own record or document number")

#: The most items one batch takes (a larger upload is split by the sender; one transaction per batch).
MAX_BATCH_ITEMS = 10_000

INSURANCE_TYPES = ("work_injury", "occupational_injury", "pension", "unemployment", "medical")


class FactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: str = Reference
    observed_at: AwareDatetime | None = Field(None, description="when the department established the fact")


class InsuranceEnrolmentIn(FactIn):
    """Whether a worker is enrolled in one kind of social insurance (hrss; medins)."""

    id_number: str = Field(max_length=18, description="the insured person's resident ID number (GB 11643)")
    insurance_type: Literal[INSURANCE_TYPES]  # type: ignore[valid-type]
    status: Literal["enrolled", "not_enrolled"]
    employer_credit_code: str | None = Field(None, max_length=18, description="the contributing unit, if any")
    start_date: date | None = None
    end_date: date | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reference": "XNYB-2026-000123",
                    "id_number": "630102199001011235",
                    "insurance_type": "work_injury",
                    "status": "not_enrolled",
                    "observed_at": "2026-06-01T09:00:00+08:00",
                }
            ]
        },
    )


class DispatchLicenceIn(FactIn):
    """A labour-dispatch business licence (劳务派遣经营许可证; hrss). `reference` is the licence number."""

    holder_credit_code: str = Field(max_length=18)
    holder_name: str = Field(min_length=1, max_length=200)
    valid_from: date
    valid_until: date
    revoked_on: date | None = Field(None, description="the day the licence was revoked (it is invalid from then)")
    revocation_reason: str | None = Field(None, max_length=500)


class EnterpriseRecordIn(FactIn):
    """An enterprise's registration status and qualification, by credit code (market)."""

    credit_code: str = Field(max_length=18)
    name: str = Field(min_length=1, max_length=200)
    registration_status: Literal["active", "abnormal", "suspended", "revoked", "cancelled"]
    qualified: bool = Field(description="holds the qualification its cooperation with a platform needs (M3)")
    qualification: str | None = Field(None, max_length=200, description="which licence or business scope")
    valid_from: date | None = None
    valid_until: date | None = None


class InspectionResultIn(FactIn):
    """A labour inspection's result on pay arrears or overtime (hrss labour inspection)."""

    employer_credit_code: str = Field(max_length=18)
    matter: Literal["arrears", "overtime"]
    id_number: str | None = Field(None, max_length=18, description="the worker concerned, if one")
    confirmed_amount_fen: int = Field(0, ge=0, description="arrears confirmed (fen)")
    confirmed_overtime_hours: int = Field(0, ge=0)
    inspected_on: date
    ordered_to_pay_by: date | None = Field(None, description="the written order's deadline to pay (责令限期支付)")
    order_ignored: bool = Field(
        False,
        description="the employer did not pay by `ordered_to_pay_by` (逾期未支付), as "
        "the department established after the deadline: a listing "
        "condition (人力资源社会保障部令第45号 art. 5)",
    )
    mass_incident: bool = Field(
        False,
        description="the arrears caused a mass or extreme incident with serious social impact (群体性事件、极端事件)",
    )
    months_unpaid: int | None = Field(None, ge=0, le=600, description="the longest a worker went unpaid (months)")
    workers_affected: int | None = Field(None, ge=1, le=1_000_000, description="how many workers the arrears concern")


class CaseOutcomeIn(FactIn):
    """How a dispute referred to arbitration (hrss) or a court (court) ended."""

    forum: Literal["arbitration", "court"]
    dispute_id: str | None = Field(None, max_length=64, description="the disputes service's case id, if referred")
    id_number: str | None = Field(None, max_length=18)
    employer_credit_code: str | None = Field(None, max_length=18)
    outcome: Literal["upheld", "partly_upheld", "dismissed", "settled", "withdrawn"]
    awarded_fen: int = Field(0, ge=0)
    filed_on: date | None = None
    decided_on: date


class HouseholdRegistrationIn(FactIn):
    """Where a person's household registration (户籍) is, as public security's register holds it (police).
    It may differ from the region the ID number was first issued in (a move of 户口 keeps the number)."""

    id_number: str = Field(max_length=18, description="the person's resident ID number (GB 11643)")
    region_code: str = Field(pattern=r"^[0-9]{6}$", description="GB/T 2260 code of the county or district of 户籍")
    registered_on: date | None = Field(None, description="registered at this place since")
    moved_out_on: date | None = Field(None, description="moved away on (no longer registered here from this day)")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reference": "XNGA-HJ-2026-000123",
                    "id_number": "630102199001011235",
                    "region_code": "630104",
                    "registered_on": "2019-05-01",
                }
            ]
        },
    )


class JobSeekingRegistrationIn(FactIn):
    """A job-seeking (unemployment) registration with the public employment service (hrss), in a district."""

    id_number: str = Field(max_length=18, description="the job seeker's resident ID number (GB 11643)")
    district: District = Field(description="the district where the person is registered as seeking work")
    registered_on: date
    ended_on: date | None = Field(None, description="the registration ended (employed, cancelled) on")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reference": "XNJY-2026-004567",
                    "id_number": "630102199001011235",
                    "district": "chengxi",
                    "registered_on": "2026-02-01",
                }
            ]
        },
    )


WARNING_LEVELS = tuple(level.value for level in weather.WarningLevel)
WARNING_HAZARDS = tuple(hazard.value for hazard in weather.Hazard)


class WeatherWarningIn(FactIn):
    """A bad-weather warning for one district (emergency; M8), as the meteorological service signalled it
    (气象灾害预警信号发布与传播办法, 中国气象局令第16号: blue, yellow, orange, red). `reference` is the
    signal's number. The same reference again with other fields amends it (version + 1); `cancelled_at`
    lifts it (解除): the window ends then."""

    district: District = Field(description="the warned district or county")
    level: Literal[WARNING_LEVELS]  # type: ignore[valid-type]
    hazard: Literal[WARNING_HAZARDS] = Field(  # type: ignore[valid-type]
        description="the kind of weather: 暴雪、道路结冰、暴雨、大风、高温、沙尘暴"
    )
    starts_at: AwareDatetime = Field(description="the warning's window starts (with its zone)")
    ends_at: AwareDatetime | None = Field(None, description="the window's announced end; null: until lifted")
    cancelled_at: AwareDatetime | None = Field(None, description="lifted (解除) at; the window ends then")
    source: str = Field(min_length=1, max_length=200, description="who issued the signal, e.g. 西宁市气象台")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reference": "XNQX-2026-BX-0042",
                    "district": "chengxi",
                    "level": "red",
                    "hazard": "snow",
                    "starts_at": "2026-12-07T06:00:00+08:00",
                    "ends_at": "2026-12-07T20:00:00+08:00",
                    "source": "西宁市气象台",
                }
            ]
        },
    )


class FactPublic(BaseModel):
    """A fact as stored: its source department, reference, version and the kind's fields."""

    fact_id: str
    kind: str
    department: str
    reference: str
    worker_id: str | None = None
    credit_code: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    fields: dict[str, Any]
    observed_at: datetime
    recorded_at: datetime
    version: int
    linked: bool
    status: Literal["created", "updated", "unchanged"] | None = Field(
        None, description="on a write: new fact, a changed statement (version + 1), or the same statement again"
    )


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[dict[str, Any]] = Field(
        min_length=1, max_length=MAX_BATCH_ITEMS, description="one fact per item, in the kind's format"
    )


class LineError(BaseModel):
    line: int = Field(description="1-based position of the item in `items`")
    reference: str | None = None
    field: str | None = None
    message: str
    type: str = Field(description="invalid-line | outside-department-scope | invalid-identifier | invalid-date-range")


class BatchLine(BaseModel):
    line: int
    fact_id: str
    status: Literal["created", "updated", "unchanged"]


class BatchPublic(BaseModel):
    """A batch's result: lines = created + updated + unchanged + rejected; good lines are kept."""

    kind: str
    lines: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    accepted: list[BatchLine]
    errors: list[LineError]


class AuditPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    principal: str
    role: str
    department: str | None
    action: str
    what: str
    purpose: str
    request_id: str | None


class PullRunPublic(BaseModel):
    """One pull: when, how many records came, were recorded or refused (with each refusal), or why it failed."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    started_at: datetime
    finished_at: datetime | None
    fetched: int
    recorded: int
    rejected: int
    error: str | None
    line_errors: list[dict[str, Any]]
    cursor: str | None


class PullSourcePublic(BaseModel):
    name: str
    adapter: str
    department: str
    url: str
    interval_s: float
    runs: list[PullRunPublic] = Field(description="the last runs, newest first")
