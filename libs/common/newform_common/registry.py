"""The service registry: the one place that names each service.

Adding a service = its folder `services/<name>/newform_<name>/` + one `ServiceSpec` line below.
Everything that needs to know the services reads this list: the local stack (ports, start order,
environment), the `newform` CLI (`migrate` choices), topic provisioning, migrations, the deploy
files (compose, Kubernetes: generated from or checked against it) and the test fixtures.
A registered service whose package is not in the checkout is simply not started (`installed()`).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

ALL_TOPICS = "*"


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int
    summary: str
    #: Topics this service consumes: `<source>.events`, or ALL_TOPICS (the gateway). The app factory runs
    #: one consumer per topic with the handler `on_<source>_events` of the service's `handlers.py`
    #: (`wiring`). Every service but the gateway also hears `gateway.events` for holiday-schedule loads
    #: (the kit's listener, `CALENDAR_TOPIC`), not listed here. Contracts and departments read each
    #: other's topic (README, "Architecture": the loop and who owns it).
    consumes: tuple[str, ...] = ()
    #: Secrets beyond the common ones (JWT_PUBLIC_KEY, PII_SECRET), as environment variable names;
    #: deployments mount each as a file and set `<NAME>_FILE`.
    secrets: tuple[str, ...] = ()

    @property
    def package(self) -> str:
        return f"newform_{self.name}"

    @property
    def database(self) -> str:
        return f"newform_{self.name}"

    @property
    def topic(self) -> str:
        return f"{self.name}.events"

    @property
    def dead_letter_topic(self) -> str:
        return f"{self.topic}.dlq"

    def is_installed(self) -> bool:
        return (
            importlib.util.find_spec(self.package) is not None
            and importlib.util.find_spec(f"{self.package}.main") is not None
        )


# One line per service. The gateway comes first: it is what a person opens.
SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "gateway",
        8000,
        "regulator's read models, alerts, credit records, dashboard",
        consumes=(ALL_TOPICS,),
        secrets=("TOKEN_SIGNING_KEY", "GATEWAY_CLIENTS"),
    ),
    ServiceSpec(
        "contracts",
        8001,
        "enterprises, workers, contracts, restrictions, rule register",
        # Departments' verified facts, its own sent contracts (checked against those facts), and unions'
        # collective contracts in force (a contract's pay may not be below theirs, 劳动合同法 art. 55).
        consumes=("departments.events", "contracts.events", "unions.events"),
        secrets=("CONTRACTS_SIGNING_KEY",),
    ),
    ServiceSpec(
        "wages",
        8002,
        "pay statements, working time, arrears and related-unit credit (M6, M7, M19, M20)",
        # Engagements; and collective contracts in force, whose standards bind pay and quotas (劳动合同法 art. 55).
        consumes=("contracts.events", "unions.events", "departments.events"),
    ),
    ServiceSpec(
        "disputes",
        8003,
        "complaints, mediation with a roster, arbitration referral, legal clocks (M10, M18, M20)",
        consumes=("contracts.events", "departments.events"),
    ),
    ServiceSpec(
        "training",
        8004,
        "Skills training, certificates and subsidies paid once to the right party (M13)",
        consumes=("contracts.events", "departments.events"),
    ),
    ServiceSpec(
        "departments",
        8005,
        "verified facts held by departments: insurance enrolment, dispatch licences, "
        "enterprise registration, inspections, case outcomes (M3, M9, M18, M19, M20)",
        consumes=("contracts.events",),
    ),
    ServiceSpec(
        "unions",
        8006,
        "union branches, online membership, consultation on platform rules, collective contracts (M17, M10)",
        consumes=("contracts.events",),
    ),
)

#: Secrets every service needs.
COMMON_SECRETS = ("JWT_PUBLIC_KEY", "PII_SECRET")


def spec(name: str) -> ServiceSpec:
    for s in SERVICES:
        if s.name == name:
            return s
    raise KeyError(f"no service {name!r} in the registry (libs/common/newform_common/registry.py)")


def installed() -> list[ServiceSpec]:
    """Registered services whose package is in this checkout, in registry order."""
    return [s for s in SERVICES if s.is_installed()]


def installed_names() -> list[str]:
    return [s.name for s in installed()]


def topics(services: list[ServiceSpec] | None = None) -> list[str]:
    """The topics to provision before anything is written: each service's events and their DLQ."""
    return [t for s in (installed() if services is None else services) for t in (s.topic, s.dead_letter_topic)]
