"""What the workers' app tests share: a platform that sends a contract to a worker, through contracts'
own API as a platform's backend would (the worker is registered by ID number; the contract names the
pseudonym contracts derives from it with its PII_SECRET)."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from newform_common.auth import generate_keypair
from newform_common.kafka import ensure_topics
from newform_common.testing import (
    TEST_PII_SECRET,
    TokenFactory,
    credit_code,
    migrated_database,
    mobile,
    unique_name,
)
from newform_contracts.config import Settings as ContractsSettings
from newform_contracts.main import create_app as create_contracts_app
from newform_departments.config import Settings as DepartmentsSettings
from newform_departments.main import create_app as create_departments_app
from newform_disputes.config import Settings as DisputesSettings
from newform_disputes.main import create_app as create_disputes_app
from newform_gateway.main import create_app as create_gateway_app
from newform_local.ports import free_port
from newform_training.config import Settings as TrainingSettings
from newform_training.main import create_app as create_training_app
from newform_unions.config import Settings as UnionsSettings
from newform_unions.main import create_app as create_unions_app
from newform_wages.config import Settings as WagesSettings
from newform_wages.main import create_app as create_wages_app

from .contracts import contract_body
from .gateway import gateway_settings
from .gateway import migrated_database as gateway_database
from .loopback import LoopbackServer

#: The phone the app's browser tests hold, and where they leave their screenshots (git-ignored).
PHONE = {"width": 360, "height": 740}
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"


async def sign_in_with_local_token(page, token: str) -> None:
    """Test-only: the tokens the app would hold after signing in, in its session storage, once."""
    tokens = {"access_token": token, "refresh_token": None, "id_token": None, "expires_at": time.time() + 3600}
    await page.add_init_script(
        "if (!sessionStorage.getItem('test.seeded')) {"
        f"  sessionStorage.setItem('newform.app.tokens', {json.dumps(json.dumps(tokens))});"
        "  sessionStorage.setItem('test.seeded', '1');"
        "}"
    )


@dataclass(frozen=True)
class SentContract:
    platform_id: str
    registration_id: str
    contract_id: str
    worker_id: str


def platform_headers(tokens: TokenFactory, platform_id: str) -> dict[str, str]:
    return tokens.headers("platform", subject=f"backend-{platform_id}", platform_id=platform_id)


async def send_contract(
    contracts: httpx.AsyncClient,
    tokens: TokenFactory,
    id_number: str,
    *,
    occupation: str = "food_delivery",
    district: str = "chengdong",
    start_date: str = "2026-12-01",
    **contract,
) -> SentContract:
    """A new platform (registered by the administrator) registers the worker and sends a labour contract
    (`contract` overrides the body's fields)."""
    pid = "p" + secrets.token_hex(5)
    r = await contracts.post(
        "/v1/platforms",
        headers=tokens.headers("admin", subject="admin-1"),
        json={
            "platform_id": pid,
            "name": f"示例配送平台{pid[-3:]}",
            "credit_code": credit_code(),
            "district": district,
            "occupations": [occupation],
        },
    )
    assert r.status_code == 201, r.text
    platform = platform_headers(tokens, pid)
    r = await contracts.post(
        "/v1/workers",
        headers=platform,
        json={
            "name": "李明",
            "id_number": id_number,
            "phone": mobile(),
            "occupation": occupation,
            "household_registration_place": "青海省西宁市城东区",
            "residence_district": district,
        },
    )
    assert r.status_code == 201, r.text
    registration_id = r.json()["registration_id"]
    r = await contracts.post(
        "/v1/contracts",
        headers=platform,
        json=contract_body(registration_id, pid, start_date=start_date, district=district, **contract),
    )
    assert r.status_code == 201, r.text
    contract = r.json()
    r = await contracts.post(f"/v1/contracts/{contract['contract_id']}/send", headers=platform)
    assert r.status_code == 200, r.text
    return SentContract(pid, registration_id, contract["contract_id"], contract["worker_id"])


@dataclass(frozen=True)
class WorkersStack:
    """contracts, wages and disputes on uvicorn, the gateway in front (its app and pass-through)."""

    gateway: str
    contracts: str
    wages: str
    disputes: str
    disputes_database: str
    training: str | None = None
    unions: str | None = None
    unions_database: str | None = None
    departments: str | None = None
    departments_database: str | None = None


@asynccontextmanager
async def workers_stack(
    new_database, kafka, tokens: TokenFactory, *, oidc_issuer: str | None = None, everything: bool = False
) -> AsyncIterator[WorkersStack]:
    """Real services on loopback ports, fed through one test's Kafka topics, behind a gateway whose
    pass-through knows their ports; training, unions and departments only with `everything` (else the
    app must say they cannot be reached).
    With `oidc_issuer`, every service trusts it and the gateway signs workers in with it; the services
    share one PII_SECRET, so the pseudonym contracts gives an ID number is the one the others derive."""
    prefix = unique_name("wapp").replace("_", "")
    services = ("contracts", "wages", "disputes", "departments", "unions", "training")
    topics = {s: f"{prefix}-{s}.events" for s in services}
    await ensure_topics(kafka.bootstrap_servers, list(topics.values()))
    identity = {"oidc_issuers": oidc_issuer} if oidc_issuer else {}
    common = {
        "kafka_bootstrap_servers": kafka.bootstrap_servers,
        "jwt_public_key": tokens.public_pem,
        "pii_secret": TEST_PII_SECRET,
        "relay_poll_interval_s": 0.2,
        **identity,
    }
    contracts_app = create_contracts_app(
        ContractsSettings(
            service_name=f"{prefix}-contracts",
            database_url=await migrated_database(new_database, "contracts"),
            signing_key=generate_keypair()[0],
            run_consumers=False,
            **common,
        )
    )
    wages_app = create_wages_app(
        WagesSettings(
            service_name=f"{prefix}-wages",
            database_url=await migrated_database(new_database, "wages"),
            deadline_poll_interval_s=3600,
            contracts_topic=topics["contracts"],
            unions_topic=topics["unions"],
            consumer_group_prefix=f"{prefix}-wages",
            **common,
        )
    )
    disputes_url = await migrated_database(new_database, "disputes")
    disputes_app = create_disputes_app(
        DisputesSettings(
            service_name=f"{prefix}-disputes",
            database_url=disputes_url,
            contracts_topic=topics["contracts"],
            departments_topic=topics["departments"],
            consumer_group_prefix=f"{prefix}-disputes",
            **common,
        )
    )
    down = f"http://127.0.0.1:{free_port()}"
    unions_url = await migrated_database(new_database, "unions") if everything else None
    departments_url = await migrated_database(new_database, "departments") if everything else None
    async with (
        LoopbackServer(contracts_app, free_port()) as contracts,
        LoopbackServer(wages_app, free_port()) as wages,
        LoopbackServer(disputes_app, free_port()) as disputes,
        optional_server(await training_app(new_database, prefix, topics, common) if everything else None) as training,
        optional_server(unions_app(unions_url, prefix, topics, common) if unions_url else None) as unions,
        optional_server(departments_app(departments_url, prefix, topics, common) if departments_url else None) as (
            departments
        ),
    ):
        urls = {
            "contracts": contracts.url,
            "wages": wages.url,
            "disputes": disputes.url,
            "training": training.url if training else down,
            "unions": unions.url if unions else down,
            "departments": departments.url if departments else down,
        }
        settings = gateway_settings(
            prefix,
            await gateway_database(new_database),
            kafka.bootstrap_servers,
            tokens.public_pem,
            run_deliverer=False,
            service_urls=urls,
            oidc_issuers=oidc_issuer or "",
            pii_secret=TEST_PII_SECRET,
        )
        async with LoopbackServer(create_gateway_app(settings), free_port()) as gateway:
            yield WorkersStack(
                gateway.url,
                contracts.url,
                wages.url,
                disputes.url,
                disputes_url,
                training.url if training else None,
                unions.url if unions else None,
                unions_url,
                departments.url if departments else None,
                departments_url,
            )


@asynccontextmanager
async def optional_server(app) -> AsyncIterator[LoopbackServer | None]:
    if app is None:
        yield None
        return
    async with LoopbackServer(app, free_port()) as server:
        yield server


async def training_app(new_database, prefix: str, topics: dict[str, str], common: dict):
    return create_training_app(
        TrainingSettings(
            service_name=f"{prefix}-training",
            database_url=await migrated_database(new_database, "training"),
            contracts_topic=topics["contracts"],
            departments_topic=topics["departments"],
            consumer_group_prefix=f"{prefix}-training",
            **common,
        )
    )


def unions_app(url: str, prefix: str, topics: dict[str, str], common: dict):
    return create_unions_app(
        UnionsSettings(
            service_name=f"{prefix}-unions",
            database_url=url,
            contracts_topic=topics["contracts"],
            consumer_group_prefix=f"{prefix}-unions",
            **common,
        )
    )


def departments_app(url: str, prefix: str, topics: dict[str, str], common: dict):
    return create_departments_app(
        DepartmentsSettings(
            service_name=f"{prefix}-departments",
            database_url=url,
            contracts_topic=topics["contracts"],
            consumer_group_prefix=f"{prefix}-departments",
            **common,
        )
    )


#: The contrast of every visible text against the background it sits on (WCAG 2.1 relative luminance),
#: the lowest first: [ratio, text, colour, background].
CONTRASTS_JS = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  const background = (node) => {
    for (let e = node; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const e = t.parentElement;
    if (!t.textContent.trim() || !e || e.offsetParent === null) continue;
    const style = getComputedStyle(e);
    const [a, b] = [lum(rgb(style.color)), lum(background(e))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    found.push([Math.round(ratio * 100) / 100, t.textContent.trim().slice(0, 30), style.color, String(background(e))]);
  }
  return found.sort((x, y) => x[0] - y[0]);
}"""
