"""Every change to a published document — compatible ones too — has a CHANGELOG.md entry: the API
check refuses a document that differs from its release (`api/released/`) unless the "Unreleased"
section, or the section of a version newer than the release, names its service (issue 24, 9)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from newform_local import apidocs

API = apidocs.default_api_dir()
CHANGELOG = API.parent / "CHANGELOG.md"

HEAD = "# Changelog\n\nWhat changed for integrators.\n\n"


def document(version: str, paths: list[str]) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "newform wages", "version": version},
        "paths": {
            p: {"get": {"operationId": p.strip("/").replace("/", "_"), "responses": {"200": {"description": "ok"}}}}
            for p in paths
        },
    }


@pytest.fixture
def api_dir(tmp_path: Path) -> Path:
    """A published wages document and its release: the same but for one endpoint added since."""
    api = tmp_path / "api"
    for rel, doc in (
        ("released/openapi/wages.json", document("0.1.0", ["/v1/statements"])),
        ("openapi/wages.json", document("0.1.0", ["/v1/statements", "/v1/statements/{id}/lines"])),
    ):
        (api / rel).parent.mkdir(parents=True, exist_ok=True)
        (api / rel).write_text(apidocs.render(doc))
    return api


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "CHANGELOG.md"
    path.write_text(HEAD + text)
    return path


def test_an_added_endpoint_with_an_empty_unreleased_section_is_refused(api_dir, tmp_path):
    changelog = write(tmp_path, "## Unreleased\n\n## 0.1.0\n\n- wages: pay statements.\n")
    (gap,) = apidocs.changelog_gaps(api_dir, changelog)
    assert "openapi/wages.json" in gap and "'wages'" in gap and "Unreleased" in gap


def test_an_entry_under_unreleased_naming_the_service_is_enough(api_dir, tmp_path):
    changelog = write(tmp_path, "## Unreleased\n\n- wages: `GET /v1/statements/{id}/lines`.\n\n## 0.1.0\n\n- First.\n")
    assert apidocs.changelog_gaps(api_dir, changelog) == []


def test_an_entry_about_another_service_does_not_count(api_dir, tmp_path):
    changelog = write(tmp_path, "## Unreleased\n\n- gateway: a new summary.\n- wagesx is not wages-cli.\n\n## 0.1.0\n")
    assert len(apidocs.changelog_gaps(api_dir, changelog)) == 1


def test_an_entry_in_the_released_versions_own_section_does_not_count_a_newer_versions_does(api_dir, tmp_path):
    old = write(tmp_path, "## Unreleased\n\n## 0.1.0\n\n- wages: pay statements.\n")
    assert len(apidocs.changelog_gaps(api_dir, old)) == 1
    newer = write(
        tmp_path, "## Unreleased\n\n## 0.1.1 — 2026-12-01\n\n### wages\n\n- Statement lines.\n\n## 0.1.0\n\n- First.\n"
    )
    assert apidocs.changelog_gaps(api_dir, newer) == []


def test_a_document_equal_to_its_release_but_for_the_version_needs_no_entry(api_dir, tmp_path):
    same = document("0.1.1", ["/v1/statements"])
    (api_dir / "openapi" / "wages.json").write_text(apidocs.render(same))
    assert apidocs.changelog_gaps(api_dir, write(tmp_path, "## Unreleased\n\n## 0.1.0\n")) == []


def test_a_missing_changelog_counts_as_no_entry(api_dir, tmp_path):
    assert len(apidocs.changelog_gaps(api_dir, tmp_path / "absent.md")) == 1


def test_the_api_check_reports_a_gateway_endpoint_added_after_its_release_without_an_entry(tmp_path):
    """The case of issue 24: the real published documents, one gateway endpoint added after the
    release, and a CHANGELOG whose Unreleased section is empty."""
    api = tmp_path / "api"
    shutil.copytree(API, api)
    path = api / "openapi" / "gateway.json"
    doc = json.loads(path.read_text())
    doc["paths"]["/v1/a-new-summary"] = {
        "get": {"operationId": "a_new_summary", "responses": {"200": {"description": "ok"}}}
    }
    path.write_text(apidocs.render(doc))
    changelog = write(tmp_path, "## Unreleased\n\n## 0.1.0\n\n- The first published contract.\n")
    messages = apidocs.check(api, breaking=False, changelog=changelog)
    assert any("CHANGELOG entry" in m and "openapi/gateway.json" in m for m in messages), messages
    # (Other documents may differ from their release too, with entries in the real CHANGELOG: only the
    # gateway's is looked at here.)
    entered = write(tmp_path, "## Unreleased\n\n- gateway: `GET /v1/a-new-summary`.\n\n## 0.1.0\n")
    assert not [
        m
        for m in apidocs.check(api, breaking=False, changelog=entered)
        if "CHANGELOG" in m and "openapi/gateway.json" in m
    ]


def test_every_published_change_since_its_release_is_in_the_changelog():
    assert apidocs.changelog_gaps(API, CHANGELOG) == []
