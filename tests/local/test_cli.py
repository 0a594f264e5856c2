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


@pytest.mark.parametrize("command", [[], ["dev"], ["token"], ["migrate"], ["keys"], ["gateway", "rebuild"]])
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


def test_token_without_its_scope_is_refused(tmp_path):
    result = run("token", "--role", "platform", "--data-dir", str(tmp_path), check=False)
    assert result.returncode == 2
    assert "needs a platform_id scope" in result.stderr


async def test_migrate_creates_the_database_and_its_tables(postgres):
    name = f"cli_{uuid.uuid4().hex[:8]}"
    url = postgres.url(name)
    result = run("migrate", "gateway", "--create-database", "--database-url", url)
    assert "gateway migrated to head" in result.stdout

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        tables = {r["tablename"] for r in await conn.fetch("select tablename from pg_tables where schemaname='public'")}
        revision = await conn.fetchval("select version_num from alembic_version")
    finally:
        await conn.close()
    assert {"outbox", "inbox", "idempotency_keys", "alembic_version"} <= tables
    assert revision


def test_migrate_refuses_an_unknown_service():
    result = run("migrate", "payroll", check=False)
    assert result.returncode == 2 and "invalid choice" in result.stderr
