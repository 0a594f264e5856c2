"""Shared builders for the contracts tests."""

from __future__ import annotations

import asyncio
import secrets
from datetime import date

from newform_common import testing as kit
from newform_common.auth import generate_keypair
from newform_common.identity import make_resident_id
from newform_common.migrations import upgrade
from newform_contracts.config import Settings

LABOR_FACTS = {
    "enterprise_sets_rules_and_discipline": True,
    "enterprise_controls_schedule": True,
    "enterprise_sets_pay": True,
    "work_is_core_business": True,
    "worker_may_refuse_orders": False,
    "worker_bears_profit_and_loss": False,
    "worker_works_elsewhere": False,
}
AGREEMENT_FACTS = {
    **LABOR_FACTS,
    "enterprise_controls_schedule": False,
    "worker_may_refuse_orders": True,
    "worker_works_elsewhere": True,
}
CIVIL_FACTS = {
    "enterprise_sets_rules_and_discipline": False,
    "enterprise_controls_schedule": False,
    "enterprise_sets_pay": False,
    "work_is_core_business": False,
    "worker_may_refuse_orders": True,
    "worker_bears_profit_and_loss": True,
    "worker_works_elsewhere": True,
}


def resident_id(birth: date | None = None) -> str:
    if birth is None:
        return kit.resident_id()
    return make_resident_id("630102", birth, f"{secrets.randbelow(1000):03d}")


credit_code, phone = kit.credit_code, kit.mobile


def platform_slug() -> str:
    return "p" + secrets.token_hex(5)


def terms(**over) -> dict:
    base = {
        "pay_basis": "monthly_salary",
        "pay_period": "month",
        "pay_day": "每月10日",
        "base_pay_fen": 450000,
        "hours_arrangement": "standard",
        "rest_rules": "每周休息一日",
        "insurance": {"work_injury": True, "occupational_injury": False, "accident": True},
    }
    return {**base, **over}


def contract_body(registration_id: str, enterprise_id: str, **over) -> dict:
    base = {
        "registration_id": registration_id,
        "enterprise_id": enterprise_id,
        "engagement_type": "labor_contract",
        "part_time": False,
        "start_date": "2026-12-01",
        "end_date": "2027-11-30",
        "terms": terms(),
        "engagement_facts": LABOR_FACTS,
        "document_text": f"劳动合同 {secrets.token_hex(4)}：甲方聘用乙方从事配送工作。",
    }
    return {**base, **over}


def make_settings(database_url: str, bootstrap: str, public_pem: str, **extra) -> Settings:
    signing_key, _ = generate_keypair()
    return Settings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        jwt_public_key=public_pem,
        signing_key=signing_key,
        pii_secret=kit.TEST_PII_SECRET,
        **extra,
    )


async def migrate(url: str) -> None:
    await asyncio.to_thread(upgrade, "newform_contracts", url)


scalar, execute = kit.scalar, kit.execute
