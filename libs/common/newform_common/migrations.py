"""Alembic, the same way for every service.

Each service keeps `migrations/` (alembic `env.py` + `versions/`) inside its package; its env.py
calls `run_env(target_metadata)`. `upgrade(service_package, url)` runs a service's migrations
from code (the CLI and the tests use it).

The common tables (outbox, inbox, idempotency keys, findings, deadlines) have one history of their
own, the `common` branch in `common_migrations/`, which every service's first revision depends on
(`depends_on = ("common_0001",)`). Alembic reads both folders; `upgrade` goes to all heads.
"""

from __future__ import annotations

import asyncio
import importlib
import os
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData, pool
from sqlalchemy.ext.asyncio import async_engine_from_config

from . import common_migrations, deadlines, findings, idempotency, inbox, outbox, schedules  # noqa: F401  (tables join CommonModel.metadata)
from .db import CommonModel

COMMON_VERSIONS = Path(common_migrations.__file__).parent


def alembic_config(service_package: str, database_url: str) -> Config:
    package = importlib.import_module(service_package)
    assert package.__file__ is not None  # a service package is a folder with an __init__.py
    script_location = Path(package.__file__).parent / "migrations"
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("path_separator", "os")
    locations = [str(script_location / "versions"), str(COMMON_VERSIONS)]
    config.set_main_option("version_locations", os.pathsep.join(locations))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(service_package: str, database_url: str, revision: str = "heads") -> None:
    """Bring the service's database to `revision` (blocking; call via asyncio.to_thread in async code).

    "heads": the service's branch and the common branch (and any branches a service keeps)."""
    command.upgrade(alembic_config(service_package, database_url), revision)


def metadata_of(*service_metadata: MetaData) -> list[MetaData]:
    return [CommonModel.metadata, *service_metadata]


def run_env(*service_metadata: MetaData) -> None:
    """Body of a service's alembic env.py."""
    config = context.config
    targets = metadata_of(*service_metadata)

    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=targets, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=targets, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = async_engine_from_config(
            config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
        )
        async with engine.connect() as connection:
            await connection.run_sync(run)
        await engine.dispose()

    asyncio.run(main())
