"""`newform new-service NAME --port N`: a new service folder from the template, its registry line, and
everything generated from them.

What it writes (docs/adding-a-service.md lists what a person still does):

- `services/<name>/newform_<name>/` in the one shape (`newform_common.shape`): main, config (a
  `<source>_topic` setting per consumed topic), router, schemas, service, repository, rules, models,
  events (and their committed `event_schemas/`), consumed (a model per event type of each consumed
  topic), handlers (`on_<source>_events` per consumed topic, wired by the kit from the registry line),
  migrations; `README.md`, `RULES.md`;
- `tests/<name>/`: the API test, the event-schema and wiring test, the shape test;
- the registry line (`ServiceSpec("<name>", <port>, "<summary>", consumes=(...))`) and a CHANGELOG entry;
- with `--regulator-view`, the gateway's slice `services/gateway/newform_gateway/sources/<name>/`
  (read model, projection, repository, API route, page), its page template, its gateway migration, its
  test `tests/<name>/test_gateway_slice.py` (the gateway discovers the slice: `newform_gateway/slices.py`);
- then, in a subprocess running the tree it wrote into (`root`), the event schemas, `api/` and `deploy/`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from newform_common import registry
from newform_common.events import write_event_schemas

from . import apidocs, deploy
from .ports import repo_root
from .service_files import changelog_entry, consumed_models, handlers, registry_line, topic_settings

TEMPLATE = Path(__file__).parent / "service_template"
NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
REGISTRY_FILE = Path(registry.__file__)
REGISTRY_IN_TREE = Path("libs/common/newform_common/registry.py")
GATEWAY = Path("services/gateway/newform_gateway")


@dataclass(frozen=True)
class NewService:
    name: str
    port: int
    summary: str
    #: The services whose topics it consumes (`contracts`, not `contracts.events`).
    consumes: tuple[str, ...] = ()
    regulator_view: bool = False

    @property
    def camel(self) -> str:
        return "".join(part.title() for part in self.name.split("_"))

    def check(self) -> None:
        if not NAME.match(self.name):
            raise ValueError("a service name is lower-case letters, digits and underscores, starting with a letter")
        if any(s.name == self.name for s in registry.SERVICES):
            raise ValueError(f"{self.name!r} is already in the registry")
        if any(s.port == self.port for s in registry.SERVICES):
            raise ValueError(f"port {self.port} is already taken by another service")
        known = {s.name for s in registry.SERVICES}
        for source in self.consumes:
            if source not in known:
                raise ValueError(f"--consumes {source}: no such service in the registry")


def destinations(root: Path, service: NewService) -> dict[str, Path]:
    """Where each folder of the template goes (its first path part; "" for the top-level files)."""
    name = service.name
    return {
        "pkg": root / "services" / name / f"newform_{name}",
        "tests": root / "tests" / name,
        "": root / "services" / name,
        "gateway/slice": root / GATEWAY / "sources" / name,
    }


#: Single gateway files of the template and where they go (with `--regulator-view`).
GATEWAY_FILES = {
    "page.html.tmpl": "services/gateway/newform_gateway/web/templates/{name}.html",
    "migration.py.tmpl": "services/gateway/newform_gateway/migrations/versions/gw_{name}_0001.py",
    "test_slice.py.tmpl": "tests/{name}/test_gateway_slice.py",
}


def values(service: NewService, root: Path) -> dict[str, str]:
    """What the template's `{{placeholders}}` become."""
    name, sources = service.name, service.consumes
    settings = topic_settings(name, sources)
    return {
        "name": name,
        "Name": service.camel,
        "port": str(service.port),
        "summary": service.summary,
        # a docstring's paragraph within the line length, however long the summary
        "summary_wrapped": textwrap.fill(service.summary, width=100),
        "summary_literal": '"' + service.summary.replace("\\", "\\\\").replace('"', '\\"') + '"',
        "date": date.today().isoformat(),
        "consumes_text": ", ".join(f"`{s}.events`" for s in sources) or "no other service's topic",
        "config_imports": "\nfrom pydantic import Field\n" if settings else "",
        "topic_settings": settings,
        "consumed_models": consumed_models(root, sources),
        "handlers": handlers(sources),
        "test_topic_settings": "".join(f'\n        {s}_topic=f"{{name}}-{s}.events",' for s in sources),
        "test_topics": "".join(f'f"{{name}}-{s}.events", ' for s in sources),
    }


def render(source: Path, destination: Path, replacements: dict[str, str]) -> Path:
    text = source.read_text()
    for key, value in replacements.items():
        text = text.replace("{{" + key + "}}", value)
    if destination.suffix == ".py":
        text = text.rstrip("\n") + "\n"
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(text)
    return destination


def write_files(root: Path, service: NewService) -> list[Path]:
    """The template's files, rendered into their places; the gateway's only with `regulator_view`."""
    targets = destinations(root, service)
    replacements = values(service, root)
    written = []
    for source in sorted(TEMPLATE.rglob("*.tmpl")):
        relative = source.relative_to(TEMPLATE)
        if relative.parts[0] == "gateway":
            continue
        top = relative.parts[0] if len(relative.parts) > 1 else ""
        destination = targets[top].joinpath(*relative.parts[1 if top else 0 :]).with_suffix("")
        written.append(render(source, destination, replacements))
    if service.regulator_view:
        for source in sorted((TEMPLATE / "gateway" / "slice").glob("*.tmpl")):
            written.append(render(source, targets["gateway/slice"] / source.with_suffix("").name, replacements))
        for template, place in GATEWAY_FILES.items():
            destination = root / place.format(name=service.name)
            written.append(render(TEMPLATE / "gateway" / template, destination, replacements))
    return written


def create_service(
    name: str,
    port: int,
    summary: str,
    root: Path | None = None,
    *,
    consumes: tuple[str, ...] = (),
    regulator_view: bool = False,
    regenerate: bool = True,
) -> list[Path]:
    """Write the service, its tests, its registry line (and its gateway slice); regenerate the event
    schemas, `api/` and `deploy/` of `root`. Returns the files written by hand of the template."""
    root = root or repo_root()
    service = NewService(name, port, summary, tuple(consumes), regulator_view)
    service.check()
    targets = destinations(root, service)
    if targets["pkg"].exists() or targets["tests"].exists():
        raise ValueError(f"services/{name} or tests/{name} already exists")
    if regulator_view and targets["gateway/slice"].exists():
        raise ValueError(f"the gateway already has a slice {name!r}")
    if regulator_view and not slices_are_discovered(root / GATEWAY):
        raise ValueError(
            "the gateway's slices.py does not discover its slices (pkgutil.iter_modules over sources/): "
            "write the slice by hand, or make it discover them"
        )
    written = write_files(root, service)
    add_registry_line(service, root / REGISTRY_IN_TREE)
    changelog = root / "CHANGELOG.md"
    if changelog.exists():
        changelog.write_text(changelog_entry(changelog.read_text(), name, port, regulator_view))
    tidy([*(p for p in written if p.suffix == ".py"), root / REGISTRY_IN_TREE], root)
    if regenerate:
        run_in_tree(root, "regenerate", name)
    return written


def ruff() -> str | None:
    """The ruff of this environment (the tree's lint), else one on PATH."""
    beside = Path(sys.executable).parent / "ruff"
    return str(beside) if beside.exists() else shutil.which("ruff")


def tidy(paths: list[Path], root: Path) -> None:
    """Imports sorted and code formatted as `make lint` wants (the template is close; long lines and
    many consumed topics are not). Without ruff the files stay as rendered."""
    binary = ruff()
    if binary is None or not paths:
        return
    names = [str(p) for p in paths]
    subprocess.run([binary, "check", "--quiet", "--fix", "--select", "I", *names], cwd=root, check=False)
    subprocess.run([binary, "format", "--quiet", *names], cwd=root, check=False)


def slices_are_discovered(gateway: Path) -> bool:
    """Whether the gateway finds its slices in `sources/` by itself (`slices.py`, `pkgutil.iter_modules`)."""
    slices = gateway / "slices.py"
    return slices.exists() and "iter_modules" in slices.read_text()


def add_registry_line(service: NewService, registry_file: Path = REGISTRY_FILE) -> None:
    text = registry_file.read_text()
    marker = "\n)\n\n#: Secrets every service needs."
    if marker not in text:
        raise RuntimeError(f"cannot find the end of SERVICES in {registry_file}; add the line by hand")
    line = registry_line(service.name, service.port, service.summary, service.consumes)
    registry_file.write_text(text.replace(marker, f"\n{line}{marker}", 1))


def python_path(root: Path) -> list[str]:
    """The tree's own packages, as an editable install of it would find them (setup.py's roots)."""
    services = sorted(p.parent for p in root.glob("services/*/newform_*") if p.is_dir())
    return [str(root / "libs" / "common"), str(root / "deploy" / "local"), *map(str, services)]


def tree_environment(root: Path) -> dict[str, str]:
    """The environment of a process that runs `root`'s code (not the installed checkout's)."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(python_path(root)), "NEWFORM_DEV": "1"}


def run_in_tree(root: Path, *args: str) -> None:
    """`python -m newform_local.new_service ARGS` with `root`'s packages first on the path: a new
    registry line and a package the installed checkout does not know yet are seen."""
    subprocess.run(
        [sys.executable, "-m", "newform_local.new_service", *args, str(root)],
        env=tree_environment(root),
        cwd=root,
        check=True,
    )


def regenerate(name: str, root: Path) -> None:
    """The new service's committed event schemas, then `api/` and `deploy/` (run inside the tree)."""
    registry.spec(name)  # this process reads the tree's registry: the new line is there
    events = importlib.import_module(f"newform_{name}.events")
    written = [*write_event_schemas(name, events.SCHEMA_DIR)]
    written += [root / "api" / rel for rel in apidocs.export(root / "api")]
    written += deploy.export(root)
    for path in written:
        print(f"newform new-service: wrote {Path(path).relative_to(root)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newform_local.new_service")
    parser.add_argument("action", choices=["regenerate"])
    parser.add_argument("name")
    parser.add_argument("root", type=Path)
    args = parser.parse_args(argv)
    regenerate(args.name, args.root.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
