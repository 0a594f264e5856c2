"""`newform new-service`: "a new service is a folder and one line" — a service generated into a copy of
this tree, with its registry line and nothing else edited by hand, passes that copy's checks: the
shape, its own generated tests (API on the shared PostgreSQL and Kafka, event schemas, wiring, its
gateway slice end to end over Kafka), the consumer-model check, the API documents' check and the
deploy files' freshness and Kafka ACL checks.

The copy runs in a subprocess with the copy's packages first on PYTHONPATH (never the real tree's:
the generator regenerates `api/` and `deploy/` of the tree it writes into)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newform_local.new_service import NewService, create_service, tree_environment
from newform_local.ports import repo_root
from newform_local.service_files import changelog_entry, registry_line

NAME, PORT = "kitdemo", 8099
#: What a tree needs to run its services, its checks and its tests.
TREE = ("libs", "services", "deploy", "api", "tests", "pyproject.toml", "CHANGELOG.md")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "node_modules", "*.egg-info", ".data")
#: The copy's own suite: what `make test` would run that a new service (and a gateway slice) touches.
#: Not here: the fuzzing (its list of services is its own; the gateway's, with the slice, passes) and
#: the suites of the other services, which a new folder does not change.
CHECKS = [
    f"tests/{NAME}",
    "tests/common/test_consumed_events.py::test_consumer_models_match_the_producers_committed_schemas",
    "tests/common/test_api_conventions.py",
    "tests/api/test_published_documents.py",
    "tests/api/test_declared_headers.py",
    "tests/api/test_documented_statuses.py",
    "tests/gateway/test_openapi.py",
    "tests/deploy/test_deploy_files.py::test_the_committed_deploy_files_are_the_registrys",
    "tests/deploy/test_topology.py::test_every_service_is_a_scram_user_writing_only_its_topic_and_reading_what_its_code_reads",
    # The one shape, for the new service and for the gateway with its new slice.
    *(
        f"tests/common/test_shape.py::{check}[{package}]"
        for check in (
            "test_every_query_is_in_a_repository_and_every_clock_goes_through_the_kit",
            "test_modules_and_functions_are_short_or_say_why",
            "test_no_import_inside_a_function_without_its_reason",
            "test_no_import_circle",
        )
        for package in (f"newform_{NAME}", "newform_gateway")
    ),
]


def copy_tree(target: Path) -> Path:
    """The parts of this checkout a new service touches, copied (the working tree, as the suite sees it)."""
    root = repo_root()
    for name in TREE:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=SKIP, symlinks=True)
        else:
            shutil.copy2(source, target / name)
    if (root / ".cache" / "bin").is_dir():  # oasdiff, for the API check's breaking-change step
        (target / ".cache").mkdir()
        (target / ".cache" / "bin").symlink_to(root / ".cache" / "bin")
    if (root / "node_modules").is_dir():  # the AsyncAPI specification's schemas
        (target / "node_modules").symlink_to(root / "node_modules")
    return target


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    return copy_tree(tmp_path_factory.mktemp("tree"))


def test_a_generated_service_passes_the_copys_checks_with_no_edit_but_its_registry_line(tree):
    started = time.monotonic()
    written = create_service(
        NAME, PORT, "a service made from the template", root=tree, consumes=("contracts",), regulator_view=True
    )

    package = tree / "services" / NAME / f"newform_{NAME}"
    line = (tree / "libs/common/newform_common/registry.py").read_text()
    assert 'ServiceSpec(\n        "kitdemo",\n        8099,' in line and 'consumes=("contracts.events",)' in line
    for role in ("router", "service", "repository", "rules", "schemas", "events", "consumed", "models", "handlers"):
        assert package / f"{role}.py" in written, role
    assert "async def on_contracts_events(" in (package / "handlers.py").read_text()
    assert '@consumes("contracts.worker.registered.v1")' in (package / "consumed.py").read_text()
    assert (package / "event_schemas" / f"{NAME}.finding.raised.v1.json").exists()
    assert (tree / "api" / "openapi" / f"{NAME}.json").exists() and (tree / "deploy" / "k8s" / f"{NAME}.yaml").exists()
    assert f"- {NAME}: a new service" in (tree / "CHANGELOG.md").read_text()
    gateway = tree / "services/gateway/newform_gateway"
    for role in ("models", "projection", "repository", "router", "page", "schemas", "service"):
        assert gateway / "sources" / NAME / f"{role}.py" in written, role
    assert gateway / "migrations" / "versions" / f"gw_{NAME}_0001.py" in written
    assert f'"/v1/{NAME}/subjects"' in (tree / "api/openapi/gateway.json").read_text()
    assert not list(tree.rglob("*.tmpl")) or all("service_template" in str(p) for p in tree.rglob("*.tmpl"))
    generated = time.monotonic() - started

    env = tree_environment(tree)
    for name in ("NEWFORM_TEST_DATABASE_URL", "NEWFORM_TEST_KAFKA"):
        if name in os.environ:
            env[name] = os.environ[name]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *CHECKS, "-q", "-p", "no:cacheprovider", "--tb=short", "--show-capture=no"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in result.stdout and " failed" not in result.stdout
    # Measured: generation (with the api/ and deploy/ export) and the copy's checks, each well under a minute.
    print(f"generated in {generated:.0f} s, checked in {time.monotonic() - started - generated:.0f} s")


def test_names_ports_and_sources_are_checked_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match="already in the registry"):
        create_service("contracts", 8099, "x", root=tmp_path)
    with pytest.raises(ValueError, match="port 8001"):
        create_service("other", 8001, "x", root=tmp_path)
    with pytest.raises(ValueError, match="lower-case"):
        create_service("Bad-Name", 8099, "x", root=tmp_path)
    with pytest.raises(ValueError, match="--consumes nowhere"):
        create_service("other", 8099, "x", root=tmp_path, consumes=("nowhere",))
    assert list(tmp_path.iterdir()) == []


def test_the_registry_line_and_the_changelog_entry_are_written_as_ruff_and_the_check_want_them():
    assert registry_line("kitdemo", 8099, 'say "hi"', ("contracts", "departments")) == (
        "    ServiceSpec(\n"
        '        "kitdemo",\n'
        "        8099,\n"
        '        "say \\"hi\\"",\n'
        '        consumes=("contracts.events", "departments.events"),\n'
        "    ),"
    )
    text = "# Changelog\n\nIntro.\n\n## Unreleased\n\nNothing yet.\n\n## 0.2.0\n\n- old\n"
    changed = changelog_entry(text, "kitdemo", 8099, regulator_view=True)
    assert changed.startswith("# Changelog\n\nIntro.\n\n## Unreleased\n\n- kitdemo: a new service (port 8099)")
    assert "- gateway: `GET /v1/kitdemo/subjects`" in changed and "Nothing yet" not in changed
    assert changed.endswith("\n\n## 0.2.0\n\n- old\n")
    assert NewService("kit_demo", 1, "x").camel == "KitDemo"
