"""`newform gateway ...` subcommands (wired into the `newform` CLI by `register`)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys
from datetime import date
from pathlib import Path

from newform_common.auth import SCOPE_REQUIRED, Role
from newform_common.version import data_dir

from .tokens import add_client


def register(subparsers) -> None:
    gateway = subparsers.add_parser(
        "gateway", help="regulator gateway operations", description="Operations of the regulator gateway."
    )
    sub = gateway.add_subparsers(dest="gateway_command", required=True, metavar="COMMAND")
    rebuild = sub.add_parser(
        "rebuild",
        help="replay every topic from the beginning into fresh read models",
        description="Replay every *.events topic from offset 0 (up to the end offsets at "
        "start) into a fresh database, migrated first, and print a summary. "
        "Point GATEWAY_DATABASE_URL at the result to switch over.",
    )
    rebuild.add_argument(
        "--into",
        metavar="URL",
        help="target database URL, created if missing; one "
        "holding events already is refused (default: a new "
        "database beside the live one)",
    )
    rebuild.add_argument(
        "--from-log",
        action="store_true",
        help="rebuild from the live database's event log (copied, then projected set-based in SQL) instead of "
        "replaying the topics",
    )
    rebuild.add_argument("--compare", action="store_true", help="then compare with the live read models")
    rebuild.set_defaults(run=cmd_rebuild)
    export = sub.add_parser(
        "credit-export",
        help="write the signed daily credit-information files for a date range",
        description="Write one signed file per day (credit-YYYY-MM-DD.jsonl + .sig) and a signed "
        "manifest for the city's public credit-information platform (M19), from the "
        "gateway's credit records; replayable for any range. Format: "
        'services/gateway/README.md "Credit export".',
    )
    export.add_argument("--from", dest="start", required=True, type=date.fromisoformat, metavar="YYYY-MM-DD")
    export.add_argument("--to", dest="end", required=True, type=date.fromisoformat, metavar="YYYY-MM-DD")
    export.add_argument("--out", required=True, type=Path, metavar="DIR")
    export.set_defaults(run=cmd_credit_export)

    client = sub.add_parser(
        "client",
        help="register a client for client-credentials tokens (POST /oauth/token)",
        description="Add a platform's or department's system to the clients file "
        "(GATEWAY_CLIENTS_FILE, default .data/keys/clients.toml) and print its "
        "secret once; the file keeps only the secret's SHA-256.",
    )
    client.add_argument("action", choices=["add"])
    client.add_argument("--client-id", required=True)
    client.add_argument("--role", required=True)
    client.add_argument("--platform-id")
    client.add_argument("--department")
    client.add_argument("--district")
    client.add_argument("--clients-file", type=Path, default=None)
    client.set_defaults(run=cmd_client)


def cmd_client(args: argparse.Namespace) -> int:
    path = args.clients_file or (
        Path(os.environ["GATEWAY_CLIENTS_FILE"]) if os.environ.get("GATEWAY_CLIENTS_FILE") else default_clients_file()
    )
    needed = SCOPE_REQUIRED.get(Role(args.role))
    if needed and not getattr(args, needed):
        print(f"newform gateway client: a {args.role} client needs --{needed.replace('_', '-')}", file=sys.stderr)
        return 2
    try:
        secret = add_client(
            path,
            client_id=args.client_id,
            role=args.role,
            platform_id=args.platform_id,
            department=args.department,
            district=args.district,
        )
    except ValueError as exc:
        print(f"newform gateway client: {exc}", file=sys.stderr)
        return 2
    print(f"client_id={args.client_id}")
    print(f"client_secret={secret}")
    print(f"(registered in {path}; the secret is not stored and cannot be shown again)", file=sys.stderr)
    return 0


def default_clients_file() -> Path:
    """The local stack's clients file (the stack gives the services `GATEWAY_CLIENTS_FILE`)."""
    return data_dir() / "keys" / "clients.toml"


def cmd_rebuild(args: argparse.Namespace) -> int:
    """Imported here because `newform` loads every service's `cli` module for every command: the whole
    gateway (the app, its projections) loads only when a rebuild is asked for."""
    from .config import Settings
    from .main import context_for
    from .rebuild import compare, rebuild, rebuild_from_log

    settings = Settings()

    async def run() -> int:
        try:
            if args.from_log:
                ctx = dataclasses.replace(context_for(settings), webhooks=False)
                result = await rebuild_from_log(settings.database_url, args.into, ctx=ctx)
            else:
                result = await rebuild(settings, args.into)
        except Exception as exc:  # one line for the operator, not a traceback
            print(
                f"newform gateway rebuild: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                file=sys.stderr,
            )
            return 2
        if args.compare:
            result["differences"] = await compare(settings.database_url, result["database_url"])
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 1 if result.get("differences") else 0

    return asyncio.run(run())


def cmd_credit_export(args: argparse.Namespace) -> int:
    """Imported here because `newform` loads every service's `cli` module for every command: the
    database and the credit export load only when an export is asked for."""
    from newform_common.db import Database
    from newform_common.errors import Problem

    from .config import Settings
    from .credit.export import build_export, write_export

    settings = Settings()
    key = settings.credit_export_private_key()
    if key is None:
        print("newform: no credit-export signing key (set CREDIT_EXPORT_SIGNING_KEY_FILE)")
        return 2

    async def run() -> int:
        db = Database(settings.database_url, service=settings.service_name)
        try:
            async with db.transaction() as session:
                export = await build_export(session, args.start, args.end, key)
        except Problem as exc:
            print(f"newform: {exc.detail}")
            return 2
        finally:
            await db.dispose()
        written = write_export(export, args.out)
        print(
            json.dumps(
                {
                    "out": str(args.out),
                    "files": len(export.files),
                    "records": export.manifest["records"],
                    "written": [p.name for p in written],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0

    return asyncio.run(run())
