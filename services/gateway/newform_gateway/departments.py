"""Facts held by departments for the regulator (M3, M9, M18–M20): what each department stated, and
what stands out — workers not enrolled, dispatch licences no longer valid, enterprises unqualified,
arrears confirmed by inspection, case outcomes.

Fed by `projections/departments.py` from `departments.events`: one row per fact, its latest version.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlalchemy import Date, Integer, cast, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field

from newform_common.app import SnapshotDep
from newform_common.auth import Principal, Role, require
from newform_common.db import json_field, timestamp_field
from newform_common.errors import problem_responses
from newform_common.policy import business_today

from .models import GatewayModel


class DepartmentFact(GatewayModel, table=True):
    __tablename__ = "department_facts"

    fact_id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(max_length=40, index=True)
    department: str = Field(max_length=32)
    reference: str = Field(max_length=100)
    subject_key: str = Field(max_length=64, index=True)
    version: int
    fields: dict[str, Any] = json_field()
    observed_at: datetime = timestamp_field()
    recorded_at: datetime = timestamp_field()


class SourceRow(BaseModel):
    department: str
    kind: str
    facts: int
    last_observed_at: datetime


class CountRow(BaseModel):
    key: str
    count: int


class LicenceRow(BaseModel):
    licence_number: str
    holder_credit_code: str
    holder_name: str | None
    invalid_from: date
    revoked: bool


class DepartmentsSummary(BaseModel):
    by_source: list[SourceRow]
    not_enrolled_by_type: list[CountRow]
    licences_invalid: list[LicenceRow]
    enterprises_unqualified: int
    arrears_confirmed_fen: int
    case_outcomes: list[CountRow]


async def summary(session: AsyncSession, today: date | None = None) -> DepartmentsSummary:
    today = today or business_today()
    f = DepartmentFact
    by_source = await session.execute(
        select(f.department, f.kind, func.count(), func.max(f.observed_at))
        .group_by(f.department, f.kind)
        .order_by(f.department, f.kind)
    )
    # Grouped expressions as literal SQL: bound JSON keys would be distinct parameters to PostgreSQL.
    insurance_type = literal_column("fields ->> 'insurance_type'")
    not_enrolled = await session.execute(
        select(insurance_type, func.count())
        .where(f.kind == "insurance_enrolment", f.fields["status"].astext == "not_enrolled")
        .group_by(insurance_type)
        .order_by(insurance_type)
    )
    until = cast(f.fields["effective_until"].astext, Date)
    licences = (
        (
            await session.execute(
                select(f).where(f.kind == "dispatch_licence", until < today).order_by(until.desc()).limit(50)
            )
        )
        .scalars()
        .all()
    )
    unqualified = await session.scalar(
        select(func.count()).where(
            f.kind == "enterprise_record",
            (f.fields["qualified"].astext == "false")
            | f.fields["registration_status"].astext.in_(("revoked", "cancelled", "suspended")),
        )
    )
    arrears = await session.scalar(
        select(func.coalesce(func.sum(cast(f.fields["confirmed_amount_fen"].astext, Integer)), 0)).where(
            f.kind == "inspection_result", f.fields["matter"].astext == "arrears"
        )
    )
    outcome = literal_column("(fields ->> 'forum') || ':' || (fields ->> 'outcome')")
    outcomes = await session.execute(
        select(outcome, func.count()).where(f.kind == "case_outcome").group_by(outcome).order_by(outcome)
    )
    return DepartmentsSummary(
        by_source=[SourceRow(department=r[0], kind=r[1], facts=r[2], last_observed_at=r[3]) for r in by_source],
        not_enrolled_by_type=[CountRow(key=r[0], count=r[1]) for r in not_enrolled],
        licences_invalid=[
            LicenceRow(
                licence_number=x.fields["licence_number"],
                holder_credit_code=x.fields["holder_credit_code"],
                holder_name=x.fields.get("holder_name"),
                invalid_from=date.fromordinal(date.fromisoformat(x.fields["effective_until"]).toordinal() + 1),
                revoked=x.fields.get("revoked_on") is not None,
            )
            for x in licences
        ],
        enterprises_unqualified=unqualified or 0,
        arrears_confirmed_fen=arrears or 0,
        case_outcomes=[CountRow(key=r[0], count=r[1]) for r in outcomes],
    )


# -- API and page --------------------------------------------------------------------------------------
router = APIRouter(prefix="/v1", tags=["departments"])
Readers = Annotated[Principal, require(Role.department, Role.regulator, Role.admin)]


@router.get(
    "/department-facts/summary",
    response_model=DepartmentsSummary,
    responses=problem_responses(401, 403),
    summary="Facts held by departments: per source, workers not enrolled, licences no longer valid, "
    "unqualified enterprises, arrears confirmed, case outcomes",
)
async def get_department_facts_summary(session: SnapshotDep, principal: Readers):
    return await summary(session)


LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "部门核验信息",
        "sources": "各部门报送",
        "department": "部门",
        "kind": "类别",
        "facts": "条数",
        "last": "最近时间",
        "not_enrolled": "未参保劳动者（按险种）",
        "type": "险种",
        "count": "人数",
        "licences": "失效的劳务派遣许可证",
        "licence": "许可证号",
        "holder": "持证单位",
        "credit_code": "统一社会信用代码",
        "invalid_from": "失效日期",
        "revoked": "吊销",
        "expired": "到期",
        "unqualified": "不具备资质或已吊销注销的企业",
        "arrears": "劳动监察确认欠薪（元）",
        "outcomes": "仲裁与诉讼结果",
        "outcome": "结果",
        "none": "暂无数据",
        "insurance_enrolment": "参保登记",
        "dispatch_licence": "劳务派遣许可",
        "enterprise_record": "企业登记与资质",
        "inspection_result": "劳动监察结果",
        "case_outcome": "仲裁/诉讼结果",
        "work_injury": "工伤保险",
        "occupational_injury": "职业伤害保障",
        "pension": "养老保险",
        "unemployment": "失业保险",
        "medical": "医疗保险",
    },
    "en": {
        "title": "Facts held by departments",
        "sources": "Stated by department",
        "department": "Department",
        "kind": "Kind",
        "facts": "Facts",
        "last": "Latest",
        "not_enrolled": "Workers not enrolled (by type)",
        "type": "Insurance",
        "count": "Workers",
        "licences": "Dispatch licences no longer valid",
        "licence": "Licence",
        "holder": "Holder",
        "credit_code": "Credit code",
        "invalid_from": "Invalid from",
        "revoked": "revoked",
        "expired": "expired",
        "unqualified": "Enterprises unqualified or struck off",
        "arrears": "Arrears confirmed by inspection (yuan)",
        "outcomes": "Arbitration and court outcomes",
        "outcome": "Outcome",
        "none": "No data yet",
        "insurance_enrolment": "insurance enrolment",
        "dispatch_licence": "dispatch licence",
        "enterprise_record": "enterprise record",
        "inspection_result": "inspection result",
        "case_outcome": "case outcome",
        "work_injury": "work injury",
        "occupational_injury": "occupational injury",
        "pension": "pension",
        "unemployment": "unemployment",
        "medical": "medical",
    },
}

web_router = APIRouter(include_in_schema=False)


@web_router.get("/departments", response_class=HTMLResponse)
async def departments_page(request: Request, session: SnapshotDep):
    from . import web  # the dashboard's sign-in, language and layout

    guarded = web.guard(request)
    if isinstance(guarded, Response):
        return guarded
    principal, token = guarded
    lang = web.lang_of(request)
    return web.render(
        request,
        "departments.html",
        lang,
        principal=principal,
        csrf=web.csrf_token(request, token),
        s=await summary(session),
        L=LABELS[lang],
    )
