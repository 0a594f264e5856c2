"""The published contracts: the OpenAPI document of every installed service and the AsyncAPI
document of every topic, written to `api/` and checked against the code.

`newform api export` (what `make api` runs) writes them; `newform api check` — and the suite —
fail when the code and the committed documents differ, and when a change breaks integrators
without a version bump:

- `api/openapi/<service>.json`, `api/asyncapi/<service>.events.json` — what the code serves now.
- `api/released/…` — the same documents as first published on the current compatibility line
  (the major version; the minor one while the major is 0). Every later document on that line must
  stay backward compatible with them: oasdiff's breaking-change check for OpenAPI, and
  `events.is_backward_compatible` (the full JSON Schema, `$defs` included) for every event type.
  A breaking change needs a new line: bump `version` in pyproject.toml, add a CHANGELOG.md entry,
  run `make api` (which then re-bases `released/`). Event types break differently: publish a new
  type version (`….v2`) beside the old one, since consumers subscribe per type.
- Any change at all — compatible ones too (a new endpoint, a new event type) — needs a CHANGELOG.md
  entry: a published document that differs from its release (`info.version` aside) is refused
  unless the "Unreleased" section, or the section of a version newer than the release, names its
  service (`changelog_gaps`). Integrators read the CHANGELOG, not a JSON diff.

The list of services is the registry's (`registry.installed()`): a new service's documents appear
by re-running the export.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from newform_common import registry
from newform_common.auth import generate_keypair
from newform_common.events import asyncapi_document as build_asyncapi
from newform_common.events import is_backward_compatible
from newform_common.registry import ServiceSpec
from newform_common.version import project_version, repo_root


def compatibility_line(version: str) -> str:
    """Versions on one line must stay compatible: `1` for 1.x.y, `0.3` for 0.3.y (semver's 0.x rule)."""
    major, minor, *_ = (version.split(".") + ["0", "0"])[:3]
    return major if major != "0" else f"{major}.{minor}"


def default_api_dir() -> Path:
    root = repo_root()
    if root is None:
        raise RuntimeError("no checkout found: pass the api directory explicitly")
    return root / "api"


@contextmanager
def _documentation_environment():
    """Settings that let any service build its app without real secrets or servers: documents
    never depend on keys, and nothing is started (no lifespan)."""

    wanted = {"NEWFORM_DEV": "1", "JWT_PUBLIC_KEY": generate_keypair()[1]}
    saved = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def service_app(spec: ServiceSpec):
    """The service's FastAPI app, built as `uvicorn newform_<name>.main:create_app` would (not started)."""
    with _documentation_environment():
        main = importlib.import_module(f"{spec.package}.main")
        return main.create_app()


def openapi_document(spec: ServiceSpec) -> dict[str, Any]:
    return service_app(spec).openapi()


def asyncapi_document(spec: ServiceSpec) -> dict[str, Any]:

    importlib.import_module(f"{spec.package}.main")  # registers the service's event types
    return build_asyncapi(spec.name, version=project_version())


def openapi_path(name: str) -> str:
    return f"openapi/{name}.json"


def asyncapi_path(name: str) -> str:
    return f"asyncapi/{name}.events.json"


def documents() -> dict[str, dict[str, Any]]:
    """Every published document by its path under `api/`, for every installed service."""
    docs: dict[str, dict[str, Any]] = {}
    for spec in registry.installed():
        docs[openapi_path(spec.name)] = openapi_document(spec)
        docs[asyncapi_path(spec.name)] = asyncapi_document(spec)
    return docs


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _read(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.exists() else None


def _published(api_dir: Path) -> set[str]:
    return {str(p.relative_to(api_dir)) for sub in ("openapi", "asyncapi") for p in (api_dir / sub).glob("*.json")}


def export(api_dir: Path | None = None) -> list[str]:
    """Write every document; re-base `released/` for a document whose line changed (or that is new).
    Returns the paths written or removed."""
    api_dir = api_dir or default_api_dir()
    docs = documents()
    changed: list[str] = []
    for rel, doc in docs.items():
        path = api_dir / rel
        text = render(doc)
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(rel)
        released = api_dir / "released" / rel
        old = _read(released)
        if old is None or compatibility_line(old["info"]["version"]) != compatibility_line(doc["info"]["version"]):
            released.parent.mkdir(parents=True, exist_ok=True)
            released.write_text(text)
            changed.append(f"released/{rel}")
    for gone in sorted(_published(api_dir) - set(docs)):  # a service no longer installed here
        (api_dir / gone).unlink()
        changed.append(gone)
    return changed


def stale(api_dir: Path | None = None) -> list[str]:
    """Documents whose committed text differs from what the code produces (missing, changed, extra)."""
    api_dir = api_dir or default_api_dir()
    docs = documents()
    out = [
        rel for rel, doc in docs.items() if not (api_dir / rel).exists() or (api_dir / rel).read_text() != render(doc)
    ]
    out += sorted(_published(api_dir) - set(docs))
    for rel, doc in docs.items():
        old = _read(api_dir / "released" / rel)
        if old is None or compatibility_line(old["info"]["version"]) != compatibility_line(doc["info"]["version"]):
            out.append(f"released/{rel}")
    return out


def event_breaking_changes(api_dir: Path | None = None) -> list[str]:
    """Each event type in a committed AsyncAPI document against the same type as released."""

    api_dir = api_dir or default_api_dir()
    problems: list[str] = []
    for path in sorted((api_dir / "asyncapi").glob("*.json")):
        current = json.loads(path.read_text())
        released = _read(api_dir / "released" / "asyncapi" / path.name)
        if released is None:
            continue
        new_messages = current.get("components", {}).get("messages", {})
        for name, old_message in released.get("components", {}).get("messages", {}).items():
            event = old_message.get("name", name)
            if name not in new_messages:
                problems.append(f"{event}: event type removed (consumers still subscribe to it)")
                continue
            for reason in is_backward_compatible(
                old_message["payload"], new_messages[name]["payload"], old_root=released, new_root=current
            ):
                problems.append(f"{event}: {reason}")
    return problems


def oasdiff_binary() -> str:
    """The oasdiff the build installed (`make tools` → .cache/bin), else one on PATH."""
    root = repo_root()
    local = root / ".cache" / "bin" / "oasdiff" if root else None
    if local is not None and local.exists():
        return str(local)
    found = shutil.which("oasdiff")
    if found:
        return found
    raise RuntimeError("oasdiff is not installed: run `make tools` (go install github.com/oasdiff/oasdiff)")


def openapi_breaking_changes(api_dir: Path | None = None) -> list[str]:
    """oasdiff's breaking changes (level ERR) of each committed OpenAPI document against its release."""
    api_dir = api_dir or default_api_dir()
    binary = oasdiff_binary()
    problems: list[str] = []
    for path in sorted((api_dir / "openapi").glob("*.json")):
        released = api_dir / "released" / "openapi" / path.name
        if not released.exists():
            continue
        result = subprocess.run(
            [binary, "breaking", str(released), str(path), "--fail-on", "ERR", "--format", "text"],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode not in (0, 1):
            raise RuntimeError(f"oasdiff failed on {path.name}: {result.stderr or result.stdout}")
        if result.returncode == 1:
            problems.append(f"{path.name}:\n{result.stdout.strip()}")
    return problems


UNRELEASED = "unreleased"


def _version_key(version: str) -> tuple[int, ...] | None:
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.(\d+))?", version)
    return tuple(int(x or 0) for x in match.groups()) if match else None


def changelog_sections(text: str) -> dict[str, str]:
    """The CHANGELOG's `## <version>` sections (the heading's first word, lower-cased: `unreleased`,
    `0.2.0`) and their text, headings of deeper levels included."""
    sections: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("## "):
            words = line[3:].strip().split()
            current = words[0].strip("[]").lower() if words else ""
            sections.setdefault(current, "")
        elif current is not None:
            sections[current] += line + "\n"
    return sections


def _without_version(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "info": {k: v for k, v in doc.get("info", {}).items() if k != "version"}}


def changelog_gaps(api_dir: Path | None = None, changelog: Path | None = None) -> list[str]:
    """Published documents that differ from their release with no CHANGELOG entry naming their service.

    The entries that count are those not yet released when the document was: the "Unreleased"
    section and every section of a version newer than the released document's `info.version`. An
    entry names the service as a word (`gateway`; `gateway.events` counts for the topic too)."""
    api_dir = api_dir or default_api_dir()
    changelog = changelog or api_dir.parent / "CHANGELOG.md"
    sections = changelog_sections(changelog.read_text()) if changelog.exists() else {}
    gaps: list[str] = []
    for rel in sorted(_published(api_dir)):
        current, released = _read(api_dir / rel), _read(api_dir / "released" / rel)
        if released is None or _without_version(current) == _without_version(released):
            continue
        since = _version_key(released.get("info", {}).get("version", "")) or (0,)
        pending = sections.get(UNRELEASED, "") + "".join(
            body
            for heading, body in sections.items()
            if heading != UNRELEASED and (_version_key(heading) or (0,)) > since
        )
        service = Path(rel).name.removesuffix(".json").removesuffix(".events")
        if not re.search(rf"(?<![\w-]){re.escape(service)}(?![\w-])", pending):
            gaps.append(
                f"{rel} differs from its release {released.get('info', {}).get('version')} "
                f"(api/released/{rel}) and {changelog.name} has no entry for {service!r}: say what "
                f'changed for integrators under "## Unreleased" (or the new version\'s section)'
            )
    return gaps


def check(api_dir: Path | None = None, *, breaking: bool = True, changelog: Path | None = None) -> list[str]:
    """Everything wrong with the committed documents, as messages for a person; empty when fine."""
    api_dir = api_dir or default_api_dir()
    messages = []
    outdated = stale(api_dir)
    if outdated:
        messages.append(
            "the committed API documents differ from the code; run `make api` and commit api/: " + ", ".join(outdated)
        )
    messages += [f"a change without a CHANGELOG entry: {gap}" for gap in changelog_gaps(api_dir, changelog)]
    if breaking:
        version = project_version()
        for problem in openapi_breaking_changes(api_dir) + event_breaking_changes(api_dir):
            messages.append(
                f"breaking change on the {compatibility_line(version)} line without a version bump "
                f"(bump `version` in pyproject.toml, add to CHANGELOG.md, run `make api`; for an "
                f"event, publish a new type version instead): {problem}"
            )
    return messages
