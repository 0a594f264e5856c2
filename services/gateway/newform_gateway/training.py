"""Skills training for the regulator (M13): the subsidy read models, their figures, the API and the page.

Fed by `projections/training.py` from `training.events`. Figures add up from one snapshot: paid,
committed (approved, funded or waiting for budget) and refused, per district, occupation, level and
channel (worker or enterprise).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field

from newform_common import vocabulary
from newform_common.app import SnapshotDep
from newform_common.auth import Principal, Role, require
from newform_common.db import timestamp_field
from newform_common.errors import problem_responses

from .models import GatewayModel, WorkerRegistration


class TrainingClaim(GatewayModel, table=True):
    __tablename__ = "training_claims"

    claim_id: str = Field(primary_key=True, max_length=64)
    certificate_number: str = Field(max_length=64, index=True)
    worker_id: str = Field(max_length=64, index=True)
    channel: str = Field(max_length=16)
    payee: str = Field(max_length=16)
    platform_id: str | None = Field(default=None, max_length=64)
    provider_id: str | None = Field(default=None, max_length=64)
    occupation: str = Field(max_length=32)
    level: int
    district: str = Field(max_length=32)
    amount_fen: int
    status: str = Field(max_length=16, index=True)
    reason: str | None = None
    rule: str | None = Field(default=None, max_length=100)
    year: int | None = None
    submitted_at: datetime | None = timestamp_field(nullable=True)
    decided_at: datetime | None = timestamp_field(nullable=True)
    paid_at: datetime | None = timestamp_field(nullable=True)
    updated_at: datetime = timestamp_field()


class TrainingCertificate(GatewayModel, table=True):
    __tablename__ = "training_certificates"

    certificate_number: str = Field(primary_key=True, max_length=64)
    worker_id: str = Field(max_length=64, index=True)
    body_id: str = Field(max_length=64)
    occupation: str = Field(max_length=32)
    level: int
    issued_on: date
    provider_id: str | None = Field(default=None, max_length=64)


COMMITTED = ("approved", "queued", "paid")
REFUSED = ("rejected", "refused")


class SubsidyRow(BaseModel):
    district: str
    occupation: str
    level: int
    channel: str
    claims: int
    amount_fen: int


class BudgetUse(BaseModel):
    district: str
    year: int
    paid_fen: int
    committed_fen: int
    waiting_for_budget: int


class RefusalRow(BaseModel):
    reason: str
    claims: int


class TrainingSummary(BaseModel):
    certificates_issued: int
    workers_certified: int
    paid: list[SubsidyRow]
    budget_use: list[BudgetUse]
    refused: list[RefusalRow]


async def summary(session: AsyncSession, year: int | None = None) -> TrainingSummary:
    claims = select(TrainingClaim)
    if year is not None:
        claims = claims.where(TrainingClaim.year == year)
    c = claims.subquery()
    paid = await session.execute(
        select(c.c.district, c.c.occupation, c.c.level, c.c.channel, func.count(), func.sum(c.c.amount_fen))
        .where(c.c.status == "paid")
        .group_by(c.c.district, c.c.occupation, c.c.level, c.c.channel)
        .order_by(c.c.district, c.c.occupation, c.c.level, c.c.channel)
    )
    use = await session.execute(
        select(
            c.c.district,
            c.c.year,
            func.coalesce(func.sum(c.c.amount_fen).filter(c.c.status == "paid"), 0),
            func.coalesce(func.sum(c.c.amount_fen).filter(c.c.status.in_(COMMITTED)), 0),
            func.count().filter(c.c.status == "queued"),
        )
        .where(c.c.year.is_not(None))
        .group_by(c.c.district, c.c.year)
        .order_by(c.c.year, c.c.district)
    )
    refused = await session.execute(
        select(c.c.rule, func.count())
        .where(c.c.status.in_(REFUSED))
        .group_by(c.c.rule)
        .order_by(func.count().desc(), c.c.rule)
    )
    issued, workers = (
        await session.execute(select(func.count(), func.count(distinct(TrainingCertificate.worker_id))))
    ).one()
    return TrainingSummary(
        certificates_issued=issued,
        workers_certified=workers,
        paid=[
            SubsidyRow(district=r[0], occupation=r[1], level=r[2], channel=r[3], claims=r[4], amount_fen=r[5])
            for r in paid
        ],
        budget_use=[
            BudgetUse(district=r[0], year=r[1], paid_fen=r[2], committed_fen=r[3], waiting_for_budget=r[4]) for r in use
        ],
        refused=[RefusalRow(reason=r[0] or "review", claims=r[1]) for r in refused],
    )  # no rule: refused on review


async def workers_trained(session: AsyncSession, platform_id: str) -> int:
    """A platform's registered workers who hold a skill certificate (the scorecards' training figure)."""
    return (
        await session.scalar(
            select(func.count(distinct(TrainingCertificate.worker_id)))
            .join(WorkerRegistration, WorkerRegistration.worker_id == TrainingCertificate.worker_id)
            .where(WorkerRegistration.platform_id == platform_id)
        )
        or 0
    )


# -- API and page --------------------------------------------------------------------------------------
router = APIRouter(prefix="/v1", tags=["training"])
Readers = Annotated[Principal, require(Role.department, Role.regulator, Role.admin)]


@router.get(
    "/training/summary",
    response_model=TrainingSummary,
    responses=problem_responses(401, 403),
    summary="Skills subsidies (M13): paid by district, occupation, level and channel; budget use; refusals",
)
async def get_training_summary(
    session: SnapshotDep, principal: Readers, year: Annotated[int | None, Query(ge=2022, le=2100)] = None
):
    return await summary(session, year)


LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "职业技能培训补贴",
        "certificates": "已发证书",
        "workers": "持证劳动者",
        "paid": "已发放补贴",
        "budget": "预算使用",
        "refused": "不予补贴（按原因）",
        "district": "区县",
        "occupation": "职业",
        "level": "等级",
        "channel": "申领渠道",
        "claims": "笔数",
        "amount": "金额（元）",
        "year": "年度",
        "paid_fen": "已发放（元）",
        "committed_fen": "已批准（元）",
        "waiting": "待预算",
        "reason": "原因",
        "worker": "个人申领",
        "enterprise": "企业申领",
        "none": "暂无数据",
        "review": "审核不予通过",
    },
    "en": {
        "title": "Skills training subsidies",
        "certificates": "Certificates issued",
        "workers": "Workers certified",
        "paid": "Subsidies paid",
        "budget": "Budget use",
        "refused": "Refused claims by reason",
        "district": "District",
        "occupation": "Occupation",
        "level": "Level",
        "channel": "Channel",
        "claims": "Claims",
        "amount": "Amount (yuan)",
        "year": "Year",
        "paid_fen": "Paid (yuan)",
        "committed_fen": "Approved (yuan)",
        "waiting": "Waiting for budget",
        "reason": "Reason",
        "worker": "worker",
        "enterprise": "enterprise",
        "none": "No data yet",
        "review": "refused on review",
    },
}

web_router = APIRouter(include_in_schema=False)


@web_router.get("/training", response_class=HTMLResponse)
async def training_page(request: Request, session: SnapshotDep):
    from . import web  # the dashboard's sign-in, language and layout

    guarded = web.guard(request)
    if isinstance(guarded, Response):
        return guarded
    principal, token = guarded
    lang = web.lang_of(request)
    return web.render(
        request,
        "training.html",
        lang,
        principal=principal,
        csrf=web.csrf_token(request, token),
        s=await summary(session),
        L=LABELS[lang],
        districts=vocabulary.districts(),
        occupations=vocabulary.occupations(),
    )
