"""Which packages the `newform` distribution holds: the shared library, the local stack and every
service folder (`services/<name>/newform_<name>`), found here so that adding a service needs no edit
of pyproject.toml (DESIGN.md: a new service is a folder). Everything else is in pyproject.toml."""

from pathlib import Path

from setuptools import find_namespace_packages, setup

HERE = Path(__file__).parent
ROOTS = [
    "libs/common",
    "deploy/local",
    *sorted(str(p.parent.relative_to(HERE)) for p in HERE.glob("services/*/newform_*")),
]

packages, package_dir = [], {}
for root in ROOTS:
    # Namespace packages too: migrations/ and event_schemas/ folders have no __init__.py.
    for package in find_namespace_packages(where=str(HERE / root), include=["newform_*"]):
        packages.append(package)
        package_dir[package] = f"{root}/{package.replace('.', '/')}"

setup(packages=packages, package_dir=package_dir)
