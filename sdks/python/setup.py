"""Refuse to build the SDK without its service clients: they are generated from api/ (`make sdks`),
not committed, so `pip install sdks/python` from a bare clone would install an SDK with no client in
it. Integrators install the versioned wheel `make sdks-dist` builds instead."""

from pathlib import Path

from setuptools import setup

HERE = Path(__file__).parent
if not any((p / "client.py").exists() for p in (HERE / "newform_sdk").iterdir() if p.is_dir()):
    raise SystemExit(
        "newform-sdk: the service clients (newform_sdk/<service>/) are generated, not committed: "
        "run `make sdks` in the repository first, or install the wheel built by `make sdks-dist`"
    )

setup()
