"""`newform` — the operator's command: run the local stack, mint tokens, migrate, rebuild."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import os
import sys
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from newform_common import calendar, clock, registry
from newform_common.auth import Role, mint_token
from newform_common.identity import InvalidIdentifier, validate_resident_id, worker_pseudonym
from newform_common.kafka import TopicLayout, ensure_topics
from newform_common.settings import database_url_for

from . import apidocs, deploy
from .keys import Keys
from .new_service import create_service
from .postgres import create_database
from .running import run_stack
from .stack import Stack, default_data_dir, installed_services

ROLES = [role.value for role in Role]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newform",
        description="newform: labour-rights services for Xining's new-form workers (宁政办〔2022〕41号).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_dev(sub)
    add_topics_and_keys(sub)
    add_token(sub)
    add_migrate(sub)
    add_new_service(sub)
    add_calendar(sub)
    add_documents(sub)
    for name in installed_services():
        try:
            module = importlib.import_module(f"newform_{name}.cli")
        except ModuleNotFoundError:
            continue
        module.register(sub)
    return parser


Subcommands = Any  # argparse's _SubParsersAction (private)


def add_dev(sub: Subcommands) -> None:
    dev = sub.add_parser(
        "dev",
        help="start PostgreSQL, Kafka and every service; Ctrl-C stops all",
        description="Start the whole local stack (real PostgreSQL 16 and Kafka, no Docker), "
        "run migrations, start each service, print URLs and tokens.",
    )
    dev.add_argument("--data-dir", type=Path, default=None, help="where data, keys and logs live (default .data/)")
    dev.add_argument("--pg-port", type=int, default=5432, help="PostgreSQL port (default 5432)")
    dev.add_argument("--kafka-port", type=int, default=9092, help="Kafka port (default 9092)")
    dev.add_argument(
        "--port-offset",
        type=int,
        default=0,
        help="add this to every service port (default 0: gateway 8000, contracts 8001, …)",
    )
    dev.add_argument(
        "--services",
        default=None,
        help=f"comma-separated subset of {','.join(installed_services())} (default: all that exist)",
    )
    dev.add_argument(
        "--kafka-brokers",
        type=int,
        choices=(1, 3),
        default=1,
        help="1: one broker (default); 3: a KRaft cluster of three combined broker+controller "
        "nodes on --kafka-port and the next two ports, topics replicated 3 times with "
        "min.insync.replicas=2",
    )
    dev.add_argument(
        "--replicas",
        default=None,
        metavar="N | SERVICE=N,…",
        help="instances of every service (N) or of some (contracts=3,gateway=2), sharing one "
        "database and consumer group, behind a local round-robin balancer on the "
        "service's port",
    )
    dev.add_argument(
        "--no-idp",
        action="store_true",
        help="no identity provider (Keycloak needs Java 21+): only the local token issuer's tokens",
    )
    dev.add_argument(
        "--idp-port", type=int, default=8080, help="Keycloak's HTTP port (default 8080; another free one if taken)"
    )
    dev.set_defaults(run=cmd_dev)


def add_topics_and_keys(sub: Subcommands) -> None:
    topics = sub.add_parser(
        "topics",
        help="create every service's Kafka topics and DLQs if missing",
        description="Create <service>.events and <service>.events.dlq for every service in "
        "the registry, with KAFKA_TOPIC_PARTITIONS, KAFKA_REPLICATION_FACTOR and "
        "KAFKA_MIN_INSYNC_REPLICAS (an init step before the services start; "
        "clusters run with topic auto-creation off). Existing topics are kept.",
    )
    topics.add_argument(
        "--bootstrap-servers",
        default=None,
        help="Kafka brokers (default: KAFKA_BOOTSTRAP_SERVERS, else 127.0.0.1:9092)",
    )
    topics.set_defaults(run=cmd_topics)
    keys = sub.add_parser("keys", help="create the development keys if missing and print their paths")
    keys.add_argument("--data-dir", type=Path, default=None)
    keys.set_defaults(run=cmd_keys)


def add_token(sub: Subcommands) -> None:
    token = sub.add_parser(
        "token",
        help="mint a signed bearer token for a role and scope",
        description="Mint an Ed25519-signed bearer token with the dev signing key "
        "(or --private-key). Prints the token on stdout.",
    )
    token.add_argument("--role", required=True, choices=ROLES)
    token.add_argument("--platform-id", help="scope: the platform (required for platform/enterprise roles)")
    token.add_argument("--department", help="scope: department code, e.g. hrss (required for department role)")
    token.add_argument("--district", help="scope: district code, e.g. chengxi")
    token.add_argument("--subject", help="who the token is for (default: dev-<role>)")
    token.add_argument(
        "--id-number",
        help="worker role: the worker's resident ID number; the token's subject is its "
        "pseudonymous id (w_…), derived with the PII secret as every service does",
    )
    token.add_argument("--ttl-hours", type=float, default=12.0, help="lifetime in hours (default 12)")
    token.add_argument("--private-key", type=Path, help="PEM signing key (default: the dev key in --data-dir)")
    token.add_argument("--data-dir", type=Path, default=None)
    token.set_defaults(run=cmd_token)


def add_migrate(sub: Subcommands) -> None:
    migrate = sub.add_parser(
        "migrate",
        help="run a service's database migrations",
        description="Bring a service's database to the latest migration. The URL comes from "
        "--database-url, else <SERVICE>_DATABASE_URL, else DATABASE_URL's server.",
    )
    migrate.add_argument("service", choices=installed_services())
    migrate.add_argument("--database-url", help="the service's own database URL")
    migrate.add_argument(
        "--revision", default="heads", help="target revision (default heads: the service and the common tables)"
    )
    migrate.add_argument(
        "--create-database",
        action="store_true",
        help="create the service's database on its server first if it does not exist",
    )
    migrate.set_defaults(run=cmd_migrate)


def add_new_service(sub: Subcommands) -> None:
    new = sub.add_parser(
        "new-service",
        help="create a new service folder from the template and register it",
        description="Write services/NAME/ (package newform_NAME wired to the kit) and tests/NAME/ "
        "from the template, and add NAME's line to the service registry "
        "(libs/common/newform_common/registry.py). See docs/adding-a-service.md.",
    )
    new.add_argument("name", help="the service's name, e.g. wages")
    new.add_argument("--port", type=int, required=True, help="its HTTP port in the local stack, e.g. 8002")
    new.add_argument("--summary", required=True, help="one line: what the service knows and enforces")
    new.add_argument(
        "--consumes",
        default="",
        help="the services whose topics it reads, comma-separated (e.g. contracts,departments): its "
        "registry line's `consumes`, a handler `on_<source>_events` and a model per event type of each",
    )
    new.add_argument(
        "--regulator-view",
        action="store_true",
        help="also write the gateway's slice for it (read model, projection, list endpoint, page)",
    )
    new.set_defaults(run=cmd_new_service)


def add_calendar(sub: Subcommands) -> None:
    cal = sub.add_parser(
        "calendar",
        help="check or load a year's holiday schedule (调休), show the calendar",
        description="The State Council publishes each autumn which days of next year's holiday "
        "weeks are rest days and which weekend days are working days. `check FILE` "
        "validates such a file (JSON or TOML: year, source, published_on, rest_days, "
        "working_days); `load FILE` checks it and loads it at the gateway "
        "(PUT /v1/calendar/schedules/{year}), from where every service recomputes "
        "its provisional legal clocks; `show [YEAR]` prints what the calendar knows.",
    )
    cal_sub = cal.add_subparsers(dest="action", required=True, metavar="ACTION")
    cal_check = cal_sub.add_parser("check", help="validate a schedule file, load nothing")
    cal_check.add_argument("file", type=Path)
    cal_load = cal_sub.add_parser("load", help="validate a schedule file and load it at the gateway")
    cal_load.add_argument("file", type=Path)
    cal_load.add_argument(
        "--gateway",
        default=os.environ.get("NEWFORM_GATEWAY_URL", "http://127.0.0.1:8000"),
        help="the gateway's base URL (default $NEWFORM_GATEWAY_URL or http://127.0.0.1:8000)",
    )
    cal_load.add_argument(
        "--token",
        default=os.environ.get("NEWFORM_TOKEN"),
        help="a regulator's bearer token (default $NEWFORM_TOKEN; in development one is minted "
        "with the dev key of --data-dir)",
    )
    cal_load.add_argument("--data-dir", type=Path, default=None)
    cal_show = cal_sub.add_parser("show", help="print a year's statutory holidays, schedule and coverage")
    cal_show.add_argument("year", type=int, nargs="?", default=None)
    cal.set_defaults(run=cmd_calendar)


def add_documents(sub: Subcommands) -> None:
    """`api` and `deploy`: the published documents and the deployment files, generated and checked."""
    api = sub.add_parser(
        "api",
        help="export or check the published OpenAPI and AsyncAPI documents (api/)",
        description="The committed contracts of every installed service: `export` writes them "
        "(what `make api` runs), `check` fails when the code and api/ differ or a change "
        "breaks integrators without a version bump.",
    )
    api.add_argument("action", choices=["export", "check"])
    api.add_argument("--api-dir", type=Path, default=None, help="default: api/ in this checkout")
    api.add_argument("--no-breaking-check", action="store_true", help="check only that api/ matches the code")
    api.set_defaults(run=cmd_api)

    files = sub.add_parser(
        "deploy",
        help="export or check deploy/compose and deploy/k8s (from the registry)",
        description="The Compose file and Kubernetes manifests are generated from the service "
        "registry: `export` writes them (make deploy), `check` fails when they differ.",
    )
    files.add_argument("action", choices=["export", "check"])
    files.set_defaults(run=lambda a: deploy.main([a.action]))


def cmd_dev(args: argparse.Namespace) -> int:
    services = installed_services()
    if args.services:
        wanted = [s.strip() for s in args.services.split(",") if s.strip()]
        unknown = sorted(set(wanted) - set(services))
        if unknown:
            print(f"newform: not available in this checkout: {', '.join(unknown)}", file=sys.stderr)
            return 2
        services = [s for s in services if s in wanted]
    try:
        replicas = parse_replicas(args.replicas, services)
    except ValueError as exc:
        print(f"newform: --replicas: {exc}", file=sys.stderr)
        return 2
    stack = Stack(
        args.data_dir or default_data_dir(),
        pg_port=args.pg_port,
        kafka_port=args.kafka_port,
        services=services,
        port_offset=args.port_offset,
        kafka_brokers=args.kafka_brokers,
        replicas=replicas,
        idp=not args.no_idp,
        idp_port=args.idp_port,
    )
    return run_stack(stack)


def parse_replicas(text: str | None, services: list[str]) -> dict[str, int]:
    """`3` → every service 3 times; `contracts=3,gateway=2` → those services (others once)."""
    if not text:
        return {}
    if text.strip().isdigit():
        counts = {"*": int(text)}
    else:
        counts = {}
        for part in text.split(","):
            name, _, count = part.partition("=")
            name = name.strip()
            if name not in services or not count.strip().isdigit():
                raise ValueError(f"expected N or SERVICE=N,… with SERVICE one of {', '.join(services)}; got {part!r}")
            counts[name] = int(count)
    if any(count < 1 or count > 8 for count in counts.values()):
        raise ValueError("between 1 and 8 instances of a service")
    return counts


def cmd_topics(args: argparse.Namespace) -> int:
    bootstrap = args.bootstrap_servers or os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    layout = TopicLayout.from_env()
    topics = registry.topics()
    created = asyncio.run(ensure_topics(bootstrap, topics, layout=layout))
    for topic in topics:
        print(f"{topic}\t{'created' if topic in created else 'exists'}")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    keys = Keys((args.data_dir or default_data_dir()) / "keys")
    if args.private_key:
        private = args.private_key.read_text()
    else:
        private = keys.ensure().token_private.read_text()
    subject = args.subject or f"dev-{args.role}"
    if args.role == "worker":
        if not args.id_number:
            print(
                "newform token: a worker token needs --id-number (its subject is the pseudonymous id)", file=sys.stderr
            )
            return 2
        try:
            id_number = validate_resident_id(args.id_number, field="id_number")
        except InvalidIdentifier as exc:
            print(f"newform token: {exc}", file=sys.stderr)
            return 2
        secret = os.environ.get("PII_SECRET") or keys.ensure().pii_secret.read_text().strip()
        subject = worker_pseudonym(id_number, secret)
    try:
        token = mint_token(
            private,
            role=args.role,
            subject=subject,
            platform_id=args.platform_id,
            department=args.department,
            district=args.district,
            ttl=timedelta(hours=args.ttl_hours),
        )
    except ValueError as exc:
        print(f"newform token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Imported here because alembic (through `newform_common.migrations`) takes about a second to load
    and only this command needs it: every other command, and `newform --help`, stays quick."""
    from newform_common.migrations import upgrade

    if args.service not in installed_services():
        print(f"newform migrate: the {args.service} service is not in this checkout", file=sys.stderr)
        return 2
    url = args.database_url or database_url_for(args.service)
    if args.create_database:
        parsed = make_url(url)
        create_database(parsed.set(database="postgres").render_as_string(hide_password=False), parsed.database)
    upgrade(f"newform_{args.service}", url, args.revision)
    print(f"newform: {args.service} migrated to {args.revision}")
    return 0


def cmd_new_service(args: argparse.Namespace) -> int:
    try:
        consumes = tuple(s.strip() for s in args.consumes.split(",") if s.strip())
        written = create_service(
            args.name, args.port, args.summary, consumes=consumes, regulator_view=args.regulator_view
        )
    except ValueError as exc:
        print(f"newform new-service: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    print(
        f"newform: {args.name} registered on port {args.port}, api/ and deploy/ regenerated; run `make venv` "
        f"(re-install) and `pytest tests/{args.name}`, then `make sdks`; docs/adding-a-service.md lists the rest"
    )
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    keys = Keys((args.data_dir or default_data_dir()) / "keys").ensure()
    for path in (
        keys.token_private,
        keys.token_public,
        keys.seal_private,
        keys.pii_secret,
        keys.clients,
        keys.database_password,
    ):
        print(path)
    return 0


def _schedule_file(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)


def cmd_calendar(args: argparse.Namespace) -> int:
    """Imported here because only `calendar load` talks HTTP: httpx stays out of every other command."""
    if args.action == "show":
        year = args.year or clock.today().year
        known = calendar.schedule(year)
        print(
            f"{year}: statutory holidays (by law): "
            + ", ".join(d.isoformat() for d in sorted(calendar.statutory_holidays(year)))
        )
        if known is None:
            print(
                f"{year}: no State Council schedule here (the gateway may hold a loaded one): periods are provisional"
            )
        else:
            print(f"{year}: schedule ({known.origin}) from {known.source}")
            print("  rest days:    " + ", ".join(d.isoformat() for d in sorted(known.rest_days)))
            print("  working days: " + ", ".join(d.isoformat() for d in sorted(known.working_days)))
        last, left = calendar.coverage()
        print(f"bundled schedules cover until {last.isoformat()} ({left} days from today)")
        return 0
    try:
        document = _schedule_file(args.file)
        schedule = calendar.parse_schedule(document)
    except (OSError, ValueError) as exc:  # ScheduleInvalid, JSON and TOML errors are ValueErrors
        problems = getattr(exc, "problems", [str(exc)])
        print(f"newform calendar: {args.file} is not a valid schedule:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    if args.action == "check":
        print(
            f"newform calendar: {args.file}: the {schedule.year} schedule is valid ({len(schedule.rest_days)} rest "
            f"days, {len(schedule.working_days)} working weekend days; source {schedule.source})"
        )
        return 0
    import httpx

    token = args.token
    if not token:
        keys = Keys((args.data_dir or default_data_dir()) / "keys")
        token = mint_token(
            keys.ensure().token_private.read_text(),
            role="regulator",
            subject=f"cli-{os.environ.get('USER', 'operator')}",
            ttl=timedelta(minutes=5),
        )
    body = schedule.as_document()
    try:
        response = httpx.put(
            f"{args.gateway.rstrip('/')}/v1/calendar/schedules/{schedule.year}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        print(f"newform calendar: the gateway at {args.gateway} did not answer: {exc}", file=sys.stderr)
        return 1
    if response.status_code not in (200, 201):
        print(
            f"newform calendar: the gateway refused the {schedule.year} schedule ({response.status_code}): "
            f"{response.text}",
            file=sys.stderr,
        )
        return 1
    loaded = response.json()
    print(
        f"newform calendar: loaded the {schedule.year} schedule ({schedule.source}) as {loaded.get('loaded_by')}; "
        f"the gateway recomputed {loaded.get('recomputed_deadlines') or 0} clocks and every service follows "
        "through gateway.events"
    )
    return 0


def cmd_api(args: argparse.Namespace) -> int:
    if args.action == "export":
        changed = apidocs.export(args.api_dir)
        for rel in changed:
            print(f"newform api: wrote {rel}")
        if not changed:
            print("newform api: api/ is up to date")
        return 0
    messages = apidocs.check(args.api_dir, breaking=not args.no_breaking_check)
    for message in messages:
        print(f"newform api: {message}", file=sys.stderr)
    return 1 if messages else 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("newform_local").setLevel(logging.INFO)
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
