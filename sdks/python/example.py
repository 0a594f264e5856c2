"""The integrator's round trip with the generated SDK: a platform is registered, registers a worker,
drafts a contract that calls a labour relation a civil one, and both sides sign; the regulator then
reads the alert the gateway raised about it (M1.misclassification).

    NEWFORM_REGULATOR_TOKEN=… NEWFORM_PLATFORM_TOKEN=… python sdks/python/example.py

Tokens: the two that `make run` prints (the platform token is for `demo-platform`), or from the
gateway's POST /oauth/token. The worker signs with their own token (in production from the worker's
app); here `NEWFORM_WORKER_TOKEN_COMMAND` mints one, by default with the development CLI. URLs default
to `make run`'s.
"""

from __future__ import annotations

import os
import random
import shlex
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run from a checkout without installing

from newform_sdk.contracts import AuthenticatedClient as ContractsClient
from newform_sdk.contracts.api.contracts import draft_contract, send_contract
from newform_sdk.contracts.api.enterprises import register_platform
from newform_sdk.contracts.api.signatures import sign_contract
from newform_sdk.contracts.api.workers import register_worker
from newform_sdk.contracts.models import (
    ContractCreate,
    PlatformCreate,
    ProblemDetail,
    SendContract,
    SignatureCreate,
    WorkerCreate,
)
from newform_sdk.gateway import AuthenticatedClient as GatewayClient
from newform_sdk.gateway.api.alerts import list_alerts

CONTRACTS = os.environ.get("NEWFORM_CONTRACTS_URL", "http://127.0.0.1:8001")
GATEWAY = os.environ.get("NEWFORM_GATEWAY_URL", "http://127.0.0.1:8000")
PLATFORM = os.environ.get("NEWFORM_PLATFORM_ID", "demo-platform")
WORKER_TOKEN_COMMAND = os.environ.get(
    "NEWFORM_WORKER_TOKEN_COMMAND", ".venv/bin/newform token --role worker --id-number {id_number}"
)
LABOUR_FACTS = {
    "enterprise_sets_rules_and_discipline": True,
    "enterprise_controls_schedule": True,
    "enterprise_sets_pay": True,
    "work_is_core_business": True,
    "worker_may_refuse_orders": False,
    "worker_bears_profit_and_loss": False,
    "worker_works_elsewhere": False,
}


def check(call, expected=(200, 201)):
    """The typed response, or the problem+json (typed too) as an error. A request that got no answer
    (a dropped connection) is sent again: safe, as every creating request carries an Idempotency-Key."""
    for attempt in (1, 2, 3):
        try:
            result = call()
            break
        except httpx.TransportError:
            if attempt == 3:
                raise
    if result.status_code not in expected:
        problem = result.parsed
        detail = problem.detail if isinstance(problem, ProblemDetail) else result.content[:300]
        raise SystemExit(f"HTTP {result.status_code}: {detail}")
    return result.parsed


def resident_id() -> str:
    """A valid (made-up) resident ID number: region, birth date, sequence, GB 11643 check digit."""
    body = f"630102{random.randint(1970, 2000)}0{random.randint(1, 9)}1{random.randint(0, 8)}{random.randint(100, 999)}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def credit_code(seed: str) -> str:
    """A valid (made-up) unified social credit code (GB 32100 check character)."""
    charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "91630100" + "".join(charset[int(c, 16) % 31] for c in seed[:9])
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    return body + charset[(31 - sum(charset.index(c) * w for c, w in zip(body, weights, strict=True)) % 31) % 31]


regulator = ContractsClient(CONTRACTS, token=os.environ["NEWFORM_REGULATOR_TOKEN"])
platform = ContractsClient(CONTRACTS, token=os.environ["NEWFORM_PLATFORM_TOKEN"])

# 1. The regulator registers the platform (409: it already is, e.g. `make run`'s demo platform).
new_platform = PlatformCreate.from_dict(
    {
        "platform_id": PLATFORM,
        "name": "示例平台",
        "district": "chengzhong",
        "credit_code": credit_code(uuid.uuid4().hex),
        "occupations": ["food_delivery"],
    }
)
check(
    lambda: register_platform.sync_detailed(
        client=regulator, idempotency_key=f"platform-{PLATFORM}", body=new_platform
    ),
    expected=(201, 409),
)

# 2. The platform registers a worker; a retry with the same Idempotency-Key would create nothing twice.
id_number, key = resident_id(), str(uuid.uuid4())
new_worker = WorkerCreate.from_dict(
    {
        "name": "张三",
        "id_number": id_number,
        "occupation": "food_delivery",
        "phone": f"138{random.randint(0, 10**8 - 1):08d}",
        "residence_district": "chengdong",
    }
)
worker = check(lambda: register_worker.sync_detailed(client=platform, idempotency_key=key, body=new_worker))

# 3. A contract that calls a labour relation a civil one: accepted, and raised as a finding (M1).
key = str(uuid.uuid4())
new_contract = ContractCreate.from_dict(
    {
        "registration_id": worker.registration_id,
        "enterprise_id": PLATFORM,
        "engagement_type": "civil",
        "start_date": date.today().isoformat(),
        "engagement_facts": LABOUR_FACTS,
        "document_text": "民事协议：乙方为甲方提供配送服务。",
        "terms": {
            "pay_basis": "monthly_salary",
            "pay_period": "month",
            "pay_day": "每月10日",
            "base_pay_fen": 450000,
            "hours_arrangement": "standard",
            "rest_rules": "每周休息一日",
            "insurance": {"work_injury": True, "occupational_injury": False, "accident": True},
        },
    }
)
contract = check(lambda: draft_contract.sync_detailed(client=platform, idempotency_key=key, body=new_contract))
check(lambda: send_contract.sync_detailed(contract.contract_id, client=platform, body=SendContract()))
worker_token = subprocess.run(
    shlex.split(WORKER_TOKEN_COMMAND.format(id_number=id_number)), capture_output=True, text=True, check=True
).stdout.strip()
as_worker = ContractsClient(CONTRACTS, token=worker_token)
for signer, client in (("worker", as_worker), ("enterprise", platform)):
    signature = SignatureCreate.from_dict({"signer": signer, "intent": "本人已阅读并同意，自愿签署。"})
    key = str(uuid.uuid4())
    # The lambda runs within this iteration (check calls it at once): the loop variables are current.
    check(lambda: sign_contract.sync_detailed(contract.contract_id, client=client, idempotency_key=key, body=signature))  # noqa: B023
print(f"contract {contract.contract_id} signed for worker {worker.worker_id}")

# 4. The regulator reads the alert the gateway raised from the finding.
gateway = GatewayClient(GATEWAY, token=os.environ["NEWFORM_REGULATOR_TOKEN"])
for _ in range(120):
    page = check(lambda: list_alerts.sync_detailed(client=gateway, platform_id=PLATFORM))
    alert = next((a for a in page.items if a.subject_id == contract.contract_id), None)
    if alert:
        print(f"alert {alert.alert_id}: {alert.rule} ({alert.severity}) → {', '.join(alert.departments)}")
        break
    time.sleep(0.5)
else:
    raise SystemExit("no alert arrived at the gateway within a minute")
