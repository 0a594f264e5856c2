"""The SDKs as integrators get them (issue 24, 7): `make sdks-dist` builds, from api/, a wheel and an
npm package stamped with the API version and licensed (Apache-2.0, the repository's LICENSE). The
wheel installs in a fresh virtualenv and imports every service's client; the npm package packs with
its version and licence and installs offline; in both, the hand-written bulk-upload helper sends CSV
and JSON lines to a running wages service (real HTTP on loopback, real PostgreSQL and Kafka).
A bare clone's `pip install sdks/python` refuses to build an SDK without clients."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
import zipfile
from pathlib import Path

import pytest

from newform_common import registry
from newform_common.kafka import ensure_topics
from newform_common.testing import TokenFactory, migrated_database
from newform_local import sdks
from newform_local.ports import free_port, repo_root
from newform_wages.config import Settings as WagesSettings
from newform_wages.main import create_app as create_wages_app

from ..kit.loopback import LoopbackServer
from ..kit.wages import new_platform, new_worker, session_line, statement

ROOT = repo_root()
SERVICES = [s.name for s in registry.installed()]
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory) -> dict[str, Path]:
    return sdks.dist(ROOT, tmp_path_factory.mktemp("sdk-dist"))


@pytest.fixture(scope="module")
def version() -> str:
    return sdks.api_version(ROOT)


@pytest.fixture(scope="module")
def wheel_venv(artefacts, tmp_path_factory) -> Path:
    """A fresh virtualenv with the wheel installed for real (httpx and attrs from the index or pip's cache)."""
    venv = tmp_path_factory.mktemp("sdk-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(artefacts["python"])],
        env=CLEAN_ENV,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return venv


@pytest.fixture(scope="module")
def npm_install(artefacts, tmp_path_factory) -> Path:
    """The packed npm package installed, offline, into a project of its own."""
    project = tmp_path_factory.mktemp("sdk-npm")
    (project / "package.json").write_text(json.dumps({"name": "consumer", "version": "1.0.0", "private": True}))
    done = subprocess.run(
        ["npm", "install", "--offline", "--no-audit", "--no-fund", str(artefacts["typescript"])],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return project


@pytest.fixture(scope="module")
async def wages(new_database, kafka):
    """A running wages service on loopback, and a platform's token for it."""
    tokens = TokenFactory.generate()
    contracts_topic = f"t{uuid.uuid4().hex[:8]}-contracts.events"
    await ensure_topics(kafka.bootstrap_servers, [contracts_topic])
    url = await migrated_database(new_database, "wages")
    app = create_wages_app(
        WagesSettings(
            database_url=url,
            kafka_bootstrap_servers=kafka.bootstrap_servers,
            jwt_public_key=tokens.public_pem,
            relay_poll_interval_s=0.2,
            deadline_poll_interval_s=3600,
            contracts_topic=contracts_topic,
        )
    )
    async with LoopbackServer(app, free_port()) as server:
        yield {"url": server.url, "tokens": tokens}


def platform_token(wages, platform_id: str) -> str:
    return wages["tokens"].token("platform", subject=f"backend-{platform_id}", platform_id=platform_id)


async def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    # Asynchronously: the service answering runs in this test's event loop.
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=cwd, env=env or CLEAN_ENV, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=180)
    assert proc.returncode == 0, out.decode()
    return out.decode()


def test_the_repository_and_both_sdks_carry_the_apache_license():
    licence = (ROOT / "LICENSE").read_text()
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert (ROOT / "sdks" / "python" / "LICENSE").read_text() == licence
    assert (ROOT / "sdks" / "typescript" / "LICENSE").read_text() == licence
    assert "Apache-2.0" in (ROOT / "README.md").read_text()


def test_the_wheel_is_versioned_and_licensed(artefacts, version):
    wheel = artefacts["python"]
    assert wheel.name == f"newform_sdk-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        metadata = z.read(f"newform_sdk-{version}.dist-info/METADATA").decode()
    assert f"Version: {version}" in metadata and "License-Expression: Apache-2.0" in metadata
    assert f"newform_sdk-{version}.dist-info/licenses/LICENSE" in names
    for name in SERVICES:
        assert f"newform_sdk/{name}/client.py" in names, f"the wheel has no {name} client"
    assert {"newform_sdk/bulk.py", "newform_sdk/webhooks.py", "newform_sdk/_version.py"} <= names


async def test_the_wheel_installs_in_a_fresh_venv_and_imports_every_service(wheel_venv, version, tmp_path):
    code = (
        "import importlib, json, newform_sdk; "
        f"mods = [importlib.import_module(f'newform_sdk.{{n}}.client') for n in {SERVICES!r}]; "
        "import newform_sdk.bulk, newform_sdk.webhooks; "
        "print(json.dumps({'version': newform_sdk.__version__, 'files': [m.__file__ for m in mods]}))"
    )
    out = json.loads(await run(str(wheel_venv / "bin" / "python"), "-c", code, cwd=tmp_path))
    assert out["version"] == version
    assert all(Path(f).is_relative_to(wheel_venv) for f in out["files"]), out["files"]


async def test_the_python_bulk_helper_uploads_csv_and_json_lines(wheel_venv, wages, tmp_path):
    pid, worker = new_platform(), new_worker()
    contract = "ct_bulk" + pid  # not known to wages yet: accepted lines wait for it (pending)
    (tmp_path / "march.csv").write_text(
        "行标识,合同编号,劳动者编号,周期开始,周期结束,应付日期,应发工资(分),基本工资(分),正常工时,实发工资(分),支付日期,支付方式\n"
        f"c1,{contract},{worker},2024-03-01,2024-03-31,2024-04-10,300000,300000,168,300000,2024-04-08,bank\n"
        f"c2,{contract},{worker},2024-04-01,2024-04-30,2024-05-10,abc,300000,168,0,,bank\n"
    )
    lines = [statement("j1", contract, worker), statement("j2", contract, worker, base_fen=-5)]
    sessions = [
        session_line(
            "s1",
            worker,
            "2024-03-04T08:00:00+08:00",
            "2024-03-04T12:00:00+08:00",
            contract_id=contract,
            post="rider",
            order_minutes=180,
            orders_completed=18,
        )
    ]
    script = f"""
import json, sys
from pathlib import Path
from newform_sdk import bulk
from newform_sdk.wages import AuthenticatedClient

client = AuthenticatedClient({wages["url"]!r}, token={platform_token(wages, pid)!r})
csv = bulk.upload_statements(client, Path("march.csv"), idempotency_key="bulk-csv-1")
again = bulk.upload_statements(client, Path("march.csv"), idempotency_key="bulk-csv-1")
jsonl = bulk.upload_statements(client, json.loads({json.dumps(lines)!r}))
sessions = bulk.upload_sessions(client, json.loads({json.dumps(sessions)!r}))
try:
    bulk.upload_statements(client, "\\n".join(["{{}}"] * (bulk.MAX_LINES + 1)))
    refused = None
except bulk.BulkUploadError as error:
    refused = [error.status, error.problem.get("status")]
print(json.dumps({{"csv": csv, "again": again["batch_id"], "jsonl": jsonl, "sessions": sessions,
                  "batch": bulk.get_batch(client, csv["batch_id"])["batch_id"], "refused": refused}}))
"""
    out = json.loads((await run(str(wheel_venv / "bin" / "python"), "-c", script, cwd=tmp_path)).splitlines()[-1])
    csv, jsonl, sessions = out["csv"], out["jsonl"], out["sessions"]
    assert (csv["format"], csv["line_count"], csv["accepted"], csv["rejected"]) == ("csv", 2, 1, 1)
    assert csv["errors"][0]["line"] == 2 and csv["errors"][0]["field"] == "gross_fen"
    assert out["again"] == csv["batch_id"] == out["batch"]  # the idempotency key replayed the first batch
    assert (jsonl["format"], jsonl["accepted"], jsonl["rejected"]) == ("jsonl", 1, 1)
    assert jsonl["errors"][0]["field"] == "base_fen"
    assert (sessions["kind"], sessions["format"], sessions["line_count"]) == ("sessions", "jsonl", 1)
    assert sessions["accepted"] == 1, sessions
    assert out["refused"] == [413, 413]


def test_the_npm_package_packs_with_its_version_and_license(artefacts, version):
    tarball = artefacts["typescript"]
    assert tarball.name == f"newform-sdk-{version}.tgz"
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
        package = json.loads(tar.extractfile("package/package.json").read())
        licence = tar.extractfile("package/LICENSE").read().decode()
    assert package["name"] == "@newform/sdk" and package["version"] == version
    assert package["license"] == "Apache-2.0" and not package.get("private")
    assert licence == (ROOT / "LICENSE").read_text()
    assert {
        "package/dist/src/index.js",
        "package/dist/src/index.d.ts",
        "package/dist/src/bulk.js",
        "package/dist/src/bulk.d.ts",
        "package/dist/src/version.js",
    } <= names
    for name in SERVICES:
        assert f"package/dist/src/{name}/index.js" in names, f"the npm package has no {name} client"
    assert not any(n.endswith(".ts") and not n.endswith(".d.ts") for n in names)  # compiled, not sources


async def test_the_npm_package_installs_and_its_bulk_helper_uploads(npm_install, wages, version, tmp_path):
    pid, worker = new_platform(), new_worker()
    contract = "ct_npm" + pid
    lines = [statement("t1", contract, worker), statement("t2", contract, worker, normal_hours=-1)]
    csv = (
        "line_id,worker_id,contract_id,post,started_at,ended_at,order_minutes,orders_completed\n"
        f"s1,{worker},{contract},rider,2024-03-04T08:00:00+08:00,2024-03-04T12:00:00+08:00,180,18\n"
    )
    script = npm_install / "upload.js"
    script.write_text(f"""
const sdk = require("@newform/sdk");
const options = {{ baseUrl: {json.dumps(wages["url"])}, token: {json.dumps(platform_token(wages, pid))} }};
(async () => {{
  const jsonl = await sdk.uploadStatements({json.dumps(lines)}, {{ ...options, idempotencyKey: "npm-1" }});
  const sessions = await sdk.uploadSessions({json.dumps(csv)}, options);
  let refused = null;
  try {{ await sdk.uploadStatements("x\\n", {{ ...options, token: "not-a-token" }}); }}
  catch (e) {{ refused = [e instanceof sdk.BulkUploadError, e.status, e.problem.status]; }}
  const clients = {json.dumps(SERVICES)}.filter((name) => typeof sdk[name] === "object");
  console.log(JSON.stringify({{ version: sdk.API_VERSION, jsonl, sessions, refused, clients }}));
}})().catch((e) => {{ console.error(e); process.exit(1); }});
""")
    out = json.loads((await run("node", str(script), cwd=npm_install, env=dict(os.environ))).splitlines()[-1])
    assert out["version"] == version and out["clients"] == SERVICES
    assert (out["jsonl"]["format"], out["jsonl"]["accepted"], out["jsonl"]["rejected"]) == ("jsonl", 1, 1)
    sessions = out["sessions"]
    assert (sessions["format"], sessions["kind"], sessions["accepted"]) == ("csv", "sessions", 1), sessions
    assert out["refused"] == [True, 401, 401]


def test_a_bare_clone_refuses_to_build_an_sdk_without_clients(tmp_path):
    """`pip install sdks/python` without `make sdks`: a clear refusal, not an SDK with no client in it."""
    copy = tmp_path / "python"
    generated = set(SERVICES)
    shutil.copytree(
        ROOT / "sdks" / "python",
        copy,
        ignore=lambda folder, names: [
            n for n in names if n in generated or n in {"__pycache__", "build"} or n.endswith(".egg-info")
        ],
    )
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "out"), str(copy)],
        env=CLEAN_ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    assert "make sdks" in done.stdout + done.stderr and "sdks-dist" in done.stdout + done.stderr
