"""Both SDKs, generated from the committed documents by `make sdks`'s code, run their examples against
running services (real HTTP on loopback, real PostgreSQL and Kafka): a platform is registered,
registers a worker, drafts and signs a contract, and the regulator reads the resulting alert.
Idempotency keys and problem details are typed in the generated Python client."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import uuid
from pathlib import Path

import pytest

from newform_common.auth import generate_keypair
from newform_common.migrations import upgrade
from newform_common.testing import TokenFactory, unique_name
from newform_contracts.config import Settings as ContractsSettings
from newform_contracts.main import create_app as create_contracts_app
from newform_gateway.main import create_app as create_gateway_app
from newform_local import sdks
from newform_local.ports import free_port, repo_root

from ..kit.gateway import gateway_settings, migrated_database, prepare_topics
from ..kit.loopback import LoopbackServer

ROOT = repo_root()
PII_SECRET = "sdk-test-pii-secret-of-at-least-32-bytes"  # the worker's token needs it for the pseudonym


@pytest.fixture(scope="module")
def generated():
    """`make sdks`: both SDKs from api/openapi/, and `tsc --noEmit` over the TypeScript one."""
    services = sdks.generate(ROOT)
    assert set(services) >= {"contracts", "gateway"}
    sys.path.insert(0, str(ROOT / "sdks" / "python"))
    return services


@pytest.fixture(scope="module")
async def stack(generated, new_database, kafka, tmp_path_factory):
    tokens = TokenFactory.generate()
    prefix = unique_name("sdk").replace("_", "")
    await prepare_topics(kafka.bootstrap_servers, prefix)
    contracts_db = new_database("contracts")
    await asyncio.to_thread(upgrade, "newform_contracts", contracts_db)
    contracts = create_contracts_app(
        ContractsSettings(
            service_name=f"{prefix}-contracts",
            database_url=contracts_db,
            kafka_bootstrap_servers=kafka.bootstrap_servers,
            jwt_public_key=tokens.public_pem,
            signing_key=generate_keypair()[0],
            pii_secret=PII_SECRET,
            relay_poll_interval_s=0.2,
        )
    )
    gateway = create_gateway_app(
        gateway_settings(prefix, await migrated_database(new_database), kafka.bootstrap_servers, tokens.public_pem)
    )
    # The examples mint the worker's token with the development CLI, here with this test's key.
    key = tmp_path_factory.mktemp("sdk-keys") / "token-signing.pem"
    key.write_text(tokens.private_pem)
    worker_token = (
        f"{sys.executable} -m newform_local.cli token --role worker --id-number {{id_number}} --private-key {key}"
    )
    async with LoopbackServer(contracts, free_port()) as c, LoopbackServer(gateway, free_port()) as g:
        yield {"contracts": c.url, "gateway": g.url, "tokens": tokens, "worker_token_command": worker_token}


def example_env(stack) -> dict[str, str]:
    platform_id = "p" + secrets.token_hex(5)
    tokens = stack["tokens"]
    return {
        **os.environ,
        "NEWFORM_CONTRACTS_URL": stack["contracts"],
        "NEWFORM_GATEWAY_URL": stack["gateway"],
        "NEWFORM_PLATFORM_ID": platform_id,
        "NEWFORM_REGULATOR_TOKEN": tokens.token("regulator"),
        "NEWFORM_WORKER_TOKEN_COMMAND": stack["worker_token_command"],
        "PII_SECRET": PII_SECRET,
        "NEWFORM_PLATFORM_TOKEN": tokens.token("platform", subject=f"backend-{platform_id}", platform_id=platform_id),
    }


async def run(*args: str, env: dict[str, str], cwd: Path = ROOT) -> str:
    # Asynchronously: the services answering the example run in this test's event loop.
    proc = await asyncio.create_subprocess_exec(
        *args, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await proc.communicate()
    text = out.decode()
    assert proc.returncode == 0, f"{' '.join(args)} failed:\n{text}"
    return text


async def test_the_python_example_runs_the_round_trip(stack):
    out = await run(sys.executable, str(ROOT / "sdks" / "python" / "example.py"), env=example_env(stack))
    assert "signed for worker w_" in out
    assert "M1.misclassification (high)" in out and "hrss" in out


async def test_the_typescript_example_runs_the_round_trip(stack):
    await run(str(sdks.node_bin(ROOT, "tsc")), "-p", str(ROOT / "sdks" / "typescript"), env=dict(os.environ))
    out = await run("node", str(ROOT / "sdks" / "typescript" / "dist" / "example.js"), env=example_env(stack))
    assert "signed for worker w_" in out
    assert "M1.misclassification (high)" in out and "hrss" in out


async def test_the_webhook_receiver_sees_the_examples_alert_signed(stack):
    """The README's flow: a department's receiver subscribes, the example runs, a signed webhook arrives."""
    env = example_env(stack)
    receiver_env = {**env, "NEWFORM_SUBSCRIBER_TOKEN": stack["tokens"].token("department", department="hrss")}
    port = free_port()
    receiver = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "sdks" / "python" / "webhook_receiver.py"),
        "--port",
        str(port),
        env=receiver_env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        listening = (await asyncio.wait_for(receiver.stdout.readline(), timeout=60)).decode()
        assert f"listening on http://127.0.0.1:{port}/newform" in listening, listening
        await run(sys.executable, str(ROOT / "sdks" / "python" / "example.py"), env=env)
        line = ""
        while "M1.misclassification" not in line:
            line = (await asyncio.wait_for(receiver.stdout.readline(), timeout=60)).decode()
            assert line, "the receiver stopped"
        assert line.startswith("verified alert.raised ") and "(key whk_" in line
    finally:
        receiver.terminate()
        await receiver.wait()


async def test_idempotency_keys_and_problem_details_are_typed_in_the_python_sdk(stack):
    from newform_sdk.contracts import AuthenticatedClient
    from newform_sdk.contracts.api.enterprises import register_platform
    from newform_sdk.contracts.models import PlatformCreate, ProblemDetail

    regulator = AuthenticatedClient(stack["contracts"], token=stack["tokens"].token("regulator"))
    platform_id = "p" + secrets.token_hex(5)
    body = PlatformCreate.from_dict(
        {
            "platform_id": platform_id,
            "name": "幂等平台",
            "credit_code": "91630100MA7XYA001A",
            "district": "chengzhong",
            "occupations": ["courier"],
        }
    )
    key = str(uuid.uuid4())
    first = await register_platform.asyncio_detailed(client=regulator, body=body, idempotency_key=key)
    again = await register_platform.asyncio_detailed(client=regulator, body=body, idempotency_key=key)
    assert first.status_code == 201 and again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.parsed.platform_id == platform_id
    bad_check_digit = PlatformCreate.from_dict({**body.to_dict(), "credit_code": "91630100MA7XYA001B"})
    refused = await register_platform.asyncio_detailed(
        client=regulator, idempotency_key=str(uuid.uuid4()), body=bad_check_digit
    )
    assert refused.status_code == 422 and isinstance(refused.parsed, ProblemDetail)
    assert refused.parsed.status == 422 and "credit" in (refused.parsed.detail or "")
