"""The `newform` command as an operator uses it."""

from __future__ import annotations

import subprocess
import sys
import uuid

import asyncpg
import pytest

from newform_common.auth import Role, TokenVerifier

NEWFORM = [sys.executable, "-m", "newform_local.cli"]


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*NEWFORM, *args], capture_output=True, text=True, timeout=120, check=check)


@pytest.mark.parametrize(
    "command", [[], ["dev"], ["token"], ["migrate"], ["keys"], ["new-service"], ["gateway", "rebuild"]]
)
def test_every_subcommand_has_help(command):
    result = run(*command, "--help")
    assert result.returncode == 0
    assert "usage: newform" in result.stdout


def test_token_is_signed_with_the_dev_key_and_carries_role_and_scope(tmp_path):
    token = run("token", "--role", "platform", "--platform-id", "meituan", "--data-dir", str(tmp_path)).stdout.strip()
    public = (tmp_path / "keys" / "token-verifying.pem").read_text()
    principal = TokenVerifier(public).verify(token)
    assert principal.role is Role.platform and principal.platform_id == "meituan"

    department = run("token", "--role", "department", "--department", "hrss", "--data-dir", str(tmp_path))
    assert TokenVerifier(public).verify(department.stdout.strip()).department == "hrss"


def test_a_worker_token_carries_the_pseudonymous_id_every_service_derives(tmp_path):
    from newform_common.identity import worker_pseudonym
    from newform_common.testing import resident_id

    id_number = resident_id()
    token = run("token", "--role", "worker", "--id-number", id_number, "--data-dir", str(tmp_path)).stdout.strip()
    public = (tmp_path / "keys" / "token-verifying.pem").read_text()
    principal = TokenVerifier(public).verify(token)
    secret = (tmp_path / "keys" / "pii-secret").read_text().strip()
    assert principal.role is Role.worker and principal.worker_id == worker_pseudonym(id_number, secret)
    assert id_number not in token  # the ID number never travels in the token
    refused = run(
        "token",
        "--role",
        "worker",
        "--id-number",
        id_number[:-1] + "0" if id_number[-1] != "0" else id_number[:-1] + "1",
        "--data-dir",
        str(tmp_path),
        check=False,
    )
    assert refused.returncode == 2 and "check digit" in refused.stderr.lower()


def test_token_without_its_scope_is_refused(tmp_path):
    result = run("token", "--role", "platform", "--data-dir", str(tmp_path), check=False)
    assert result.returncode == 2
    assert "needs a platform_id scope" in result.stderr


async def test_migrate_creates_the_database_and_its_tables(postgres):
    name = f"cli_{uuid.uuid4().hex[:8]}"
    url = postgres.url(name)
    result = run("migrate", "gateway", "--create-database", "--database-url", url)
    assert "gateway migrated to heads" in result.stdout

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        tables = {r["tablename"] for r in await conn.fetch("select tablename from pg_tables where schemaname='public'")}
        revision = await conn.fetchval("select version_num from alembic_version")
    finally:
        await conn.close()
    # The common tables come from libs/common's migration branch, beside the service's own.
    assert {"outbox", "inbox", "idempotency_keys", "findings", "deadlines", "alembic_version"} <= tables
    assert revision


def test_migrate_refuses_an_unknown_service():
    result = run("migrate", "payroll", check=False)
    assert result.returncode == 2 and "invalid choice" in result.stderr
