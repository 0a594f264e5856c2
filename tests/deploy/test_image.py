"""The container image's Python layer, built without a container engine (none on these machines).

The build stage of `deploy/Dockerfile` is read, exactly the files its COPY lines name (minus what
`.dockerignore` keeps out of the context) are copied into a clean folder, its `pip install` command
runs there into a fresh virtualenv (for real: every dependency, pinned by constraints.txt, from the
index or pip's cache), and one service is started from that virtualenv with uvicorn and answers
`/healthz`. This is what failed when the Dockerfile forgot setup.py (setuptools' flat-layout error).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from newform_common import registry
from newform_local.ports import free_port, repo_root

ROOT = repo_root()
DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    lines, current = [], ""
    for raw in text.splitlines():
        if not current and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        if raw.rstrip().endswith("\\"):
            current += raw.rstrip()[:-1] + " "
            continue
        current += raw
        keyword, _, rest = current.strip().partition(" ")
        lines.append((keyword.upper(), rest.strip()))
        current = ""
    return lines


def stages(text: str) -> dict[str, list[tuple[str, str]]]:
    """Instructions per build stage, by the stage's `AS` name (or its index)."""
    result: dict[str, list[tuple[str, str]]] = {}
    name = None
    for keyword, rest in instructions(text):
        if keyword == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else str(len(result))
            result[name] = []
        elif name is not None:
            result[name].append((keyword, rest))
    return result


def copies(stage: list[tuple[str, str]]) -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY from the build context (not `--from=` another stage)."""
    out = []
    for keyword, rest in stage:
        if keyword != "COPY":
            continue
        words = shlex.split(rest)
        if any(w.startswith("--from") for w in words):
            continue
        words = [w for w in words if not w.startswith("--")]
        out.append((words[:-1], words[-1]))
    return out


def ignore_patterns() -> list[tuple[bool, re.Pattern]]:
    """`.dockerignore` as (is_exception, regex) in file order (Docker's rules: the last match wins; a
    pattern matching a folder excludes everything under it; `**` spans folders)."""
    patterns = []
    path = ROOT / ".dockerignore"
    for line in path.read_text().splitlines() if path.exists() else []:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        line = line.lstrip("!").strip("/")
        regex = ""
        i = 0
        while i < len(line):
            if line.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif line.startswith("**", i):
                regex, i = regex + ".*", i + 2
            elif line[i] == "*":
                regex, i = regex + "[^/]*", i + 1
            elif line[i] == "?":
                regex, i = regex + "[^/]", i + 1
            else:
                regex, i = regex + re.escape(line[i]), i + 1
        patterns.append((exception, re.compile(rf"^{regex}(?:/.*)?$")))
    return patterns


def ignored(relative: str, patterns) -> bool:
    result = False
    for exception, pattern in patterns:
        if pattern.match(relative):
            result = not exception
    return result


def context_files(source: str, patterns) -> list[Path]:
    """The files of `source` (relative to the repo root) that reach the build context."""
    base = ROOT / source
    candidates = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
    return [p for p in candidates if not ignored(p.relative_to(ROOT).as_posix(), patterns)]


def build_stage() -> list[tuple[str, str]]:
    stage = stages(DOCKERFILE.read_text())
    return next(s for s in stage.values() if any(k == "RUN" and "pip install" in r for k, r in s))


def test_every_service_port_is_exposed():
    (expose,) = [rest for keyword, rest in instructions(DOCKERFILE.read_text()) if keyword == "EXPOSE"]
    assert {int(p.split("/")[0]) for p in expose.split()} == {s.port for s in registry.SERVICES}


def test_the_context_keeps_out_development_state_and_keeps_what_the_build_copies():
    patterns = ignore_patterns()
    assert patterns, ".dockerignore is missing: the context would carry .venv, node_modules, .data/keys"
    for path in (
        ".venv/bin/python",
        "node_modules/x/package.json",
        ".data/keys/jwt-private.pem",
        ".cache/kafka/x.jar",
        ".git/HEAD",
        "services/wages/newform_wages/__pycache__/main.cpython-311.pyc",
        "newform.egg-info/PKG-INFO",
        "deploy/compose/secrets/keys/pii-secret",
    ):
        assert ignored(path, patterns), f"{path} would be sent to the Docker daemon"
    for _, stage in stages(DOCKERFILE.read_text()).items():
        for sources, _ in copies(stage):
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
                assert context_files(source, patterns), f"COPY {source}: .dockerignore keeps it out of the context"


@pytest.fixture(scope="module")
def image_venv(tmp_path_factory) -> Path:
    """The build stage replayed in a clean folder: its COPYs, then its pip install into a fresh venv."""
    stage = build_stage()
    src = tmp_path_factory.mktemp("image-src")
    patterns = ignore_patterns()
    for sources, destination in copies(stage):
        for source in sources:
            for file in context_files(source, patterns):
                # Docker's rules: a folder's *contents* go into the destination; files go into it
                # when it ends with / (or several sources are named), else become it.
                if (ROOT / source).is_dir():
                    target = src / destination / file.relative_to(ROOT / source)
                elif destination.endswith("/") or len(sources) > 1:
                    target = src / destination / file.name
                else:
                    target = src / destination
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, target)
    (run,) = [rest for keyword, rest in stage if keyword == "RUN" and "pip install" in rest]
    venv = tmp_path_factory.mktemp("image-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # The Dockerfile's own command, with two changes only: pip's cache is used (a test, not a layer),
    # and the target is the venv instead of the --prefix the final stage copies to /usr/local.
    words = [w for w in shlex.split(run) if w != "--no-cache-dir" and not w.startswith("--prefix")]
    assert words[:2] == ["pip", "install"], run
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", *words], cwd=src, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"the image's pip install fails:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return venv


def test_the_image_installs_every_service_from_the_copied_files_alone(image_venv, tmp_path):
    names = [s.package for s in registry.SERVICES]
    code = (
        "import importlib, importlib.metadata, json, sys; "
        f"files = {{n: importlib.import_module(n + '.main').__file__ for n in {names!r}}}; "
        "files['License-Expression'] = importlib.metadata.metadata('newform')['License-Expression']; "
        "print(json.dumps(files))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(image_venv / "bin" / "python"), "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    files = json.loads(done.stdout)
    assert files.pop("License-Expression") == "Apache-2.0"  # the distribution carries the repository's licence
    for name, file in files.items():
        assert Path(file).is_relative_to(image_venv), f"{name} imported from {file}, not the image's install"
    assert (image_venv / "bin" / "newform").exists()  # the CMD's entry point
    # Development-only packages stay out of the image.
    assert not list((image_venv / "lib").glob("python3.*/site-packages/pgserver"))


def test_a_service_starts_from_the_image_install_and_answers_healthz(image_venv, postgres, kafka, tokens, tmp_path):
    spec = registry.spec("departments")
    port = free_port()
    postgres.create_database(f"image_{spec.name}_{port}")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(
        {
            "NEWFORM_DEV": "1",
            "PORT": str(port),
            "JWT_PUBLIC_KEY": tokens.public_pem,
            f"{spec.name.upper()}_DATABASE_URL": postgres.url(f"image_{spec.name}_{port}"),
            "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "CALENDAR_TOPIC": "",
            "RUN_RELAY": "false",
            "RUN_DEADLINES": "false",
        }
    )
    log = tmp_path / "service.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                str(image_venv / "bin" / "uvicorn"),
                f"{spec.package}.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline, answer = time.monotonic() + 90, None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    answer = (response.status, response.read().decode())
                    break
            except OSError:
                time.sleep(0.3)
        assert answer is not None, f"the service did not answer /healthz:\n{log.read_text()[-4000:]}"
        assert answer[0] == 200 and '"ok"' in answer[1]
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
