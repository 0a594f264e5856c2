"""Fixtures every test suite in the repo shares: a real PostgreSQL and a real Kafka broker.

- ``postgres``: an :class:`~newform_local.postgres.EmbeddedPostgres` started once per session on a
  free port (or the server of ``NEWFORM_TEST_DATABASE_URL``, e.g.
  ``postgresql+asyncpg://postgres:pw@db:5432/postgres``). Surface: ``url(database)``,
  ``create_database(name)``.
- ``kafka``: a :class:`~newform_local.kafka.LocalKafka` started once per session (or the broker(s)
  of ``NEWFORM_TEST_KAFKA``, e.g. ``kafka:9092``). Surface: ``bootstrap_servers``.
- ``keycloak``: a real identity provider (Keycloak, the ``newform`` realm) started once per session
  on free ports with its own data folder and database (tests/kit/idp.py says what it offers).
- ``new_database``: a factory ``new_database(prefix="test") -> url`` creating a fresh, uniquely
  named database. Session-scoped so module- and session-scoped fixtures can use it too.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator

import pytest

from newform_common.testing import TokenFactory
from newform_local.kafka import ExternalKafka, LocalKafka
from newform_local.ports import free_port
from newform_local.postgres import EmbeddedPostgres, ExternalPostgres
from newform_local.throwaway import throwaway_postgres

from .kit.idp import TestKeycloak, keycloak_database, running_keycloak

# The suite's services are development services: settings it does not give (PII_SECRET) fall back to
# development values instead of refusing to start (tests/common/test_integrator_contract.py checks the refusal).
os.environ.setdefault("NEWFORM_DEV", "1")
# Services listen for the regulator's holiday-schedule loads on the gateway's topic; most tests start a
# service without a gateway, so the listener is off unless a test turns it on (tests/legal/test_calendar.py).
os.environ.setdefault("CALENDAR_TOPIC", "")


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres | ExternalPostgres]:
    external = os.environ.get("NEWFORM_TEST_DATABASE_URL")
    if external:
        yield ExternalPostgres(external)
        return
    with throwaway_postgres("newform-test-pg-") as server:
        yield server


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka | ExternalKafka]:
    external = os.environ.get("NEWFORM_TEST_KAFKA")
    if external:
        yield ExternalKafka(external)
        return
    # The suite's tests each write to their own prefixed topics (`<prefix>-contracts.events`, their
    # DLQs, ad-hoc ones) on one shared broker, so this broker alone creates topics on first use.
    # The local stack's broker and cluster run with auto-creation off, as production does; the
    # tests of topic provisioning run against those.
    broker = LocalKafka(tmp_path_factory.mktemp("kafka"), port=free_port(), auto_create_topics=True)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def new_database(postgres: EmbeddedPostgres | ExternalPostgres) -> Callable[..., str]:
    """``new_database(prefix="test")`` creates ``<prefix>_<random>`` and returns its SQLAlchemy URL."""

    def create(prefix: str = "test") -> str:
        safe = re.sub(r"[^a-z0-9_]", "_", prefix.lower())[:40] or "test"
        name = f"{safe}_{uuid.uuid4().hex[:10]}"
        postgres.create_database(name)
        return postgres.url(name)

    return create


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    """One signing key pair for the session; every service app under test verifies with it."""
    return TokenFactory.generate()


@pytest.fixture(scope="session")
def keycloak(
    tmp_path_factory: pytest.TempPathFactory, postgres: EmbeddedPostgres | ExternalPostgres
) -> Iterator[TestKeycloak]:
    """Keycloak with the newform realm, once per session: ~40-70 s on an empty database (its schema, the
    realm), ~15 s on a copy of a template database where the suite's server outlives the session."""
    data = tmp_path_factory.mktemp("keycloak")
    persistent = isinstance(postgres, ExternalPostgres)
    with running_keycloak(data, keycloak_database(postgres, data, from_template=persistent)) as server:
        yield server
