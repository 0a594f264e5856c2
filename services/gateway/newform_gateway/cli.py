"""`newform gateway ...` subcommands (wired into the `newform` CLI by `register`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys


def register(subparsers) -> None:
    gateway = subparsers.add_parser("gateway", help="regulator gateway operations",
                                    description="Operations of the regulator gateway.")
    sub = gateway.add_subparsers(dest="gateway_command", required=True, metavar="COMMAND")
    rebuild = sub.add_parser("rebuild", help="replay every topic from the beginning into fresh read models",
                             description="Replay every *.events topic from offset 0 (up to the end offsets at "
                                         "start) into a fresh database, migrated first, and print a summary. "
                                         "Point GATEWAY_DATABASE_URL at the result to switch over.")
    rebuild.add_argument("--into", metavar="URL", help="target database URL (default: a new database beside "
                                                       "the live one)")
    rebuild.add_argument("--compare", action="store_true", help="then compare with the live read models")
    rebuild.set_defaults(run=cmd_rebuild)


def cmd_rebuild(args: argparse.Namespace) -> int:
    from .config import Settings
    from .rebuild import compare, rebuild

    settings = Settings()

    async def run() -> int:
        try:
            result = await rebuild(settings, args.into)
        except Exception as exc:  # one line for the operator, not a traceback
            print(f"newform gateway rebuild: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                  file=sys.stderr)
            return 2
        if args.compare:
            result["differences"] = await compare(settings.database_url, result["database_url"])
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 1 if result.get("differences") else 0

    return asyncio.run(run())
