"""A real identity provider for tests: Keycloak with the ``newform`` realm (``newform_local.keycloak``).

The session fixture ``keycloak`` (tests/conftest.py) starts one server per test run, with its own data
folder, free ports and a database of its own on the suite's PostgreSQL (a copy of a template database
with the schema and realm made once, where that server outlives the session), so it never meets a
``make run`` one. Its clients' secrets and admin password are fixed (``TEST_SECRETS``). Surface (kept
stable; other suites build on it):

- ``issuer``, ``base_url``, ``token_endpoint``, ``app_client_id`` (``newform-app``), ``audience``;
- ``users``: the demo people by username (``DemoUser``: username, password, role, id_number);
  ``workers``: those with the worker role;
- ``client_ids`` (the demo platform's and departments' confidential clients), ``client_secret(id)``,
  ``client_credentials_token(id)`` → an access token;
- ``login(username, redirect_uri=...)``: the authorization code flow with PKCE through Keycloak's own
  login form (what a browser does), → the token response (``access_token``, ``id_token``, …);
- ``admin``: Keycloak's admin REST API as the bootstrap administrator (``admin.request``,
  ``admin.rotate_signing_key()`` for a JWKS rotation).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx

from newform_local.keycloak import LocalKeycloak
from newform_local.keycloak_realm import (
    APP_CLIENT_ID,
    AUDIENCE,
    DEMO_CLIENTS,
    DEMO_PEOPLE,
    REALM,
    realm_document,
)
from newform_local.keycloak_runtime import KEYCLOAK_VERSION
from newform_local.ports import free_port

#: Where the workers' app would be: a loopback gateway on some port (Keycloak accepts any port there).
DEFAULT_REDIRECT = "http://127.0.0.1:8000/app/"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    id_number: str | None = None


class LoginRefused(AssertionError):
    """Keycloak did not redirect back with a code (wrong password, refused redirect URI…)."""


def _segment(token: str, index: int) -> dict:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def decode_claims(token: str) -> dict:
    """The claims of a JWT, unverified (tests read what Keycloak put in; services verify)."""
    return _segment(token, 1)


def decode_header(token: str) -> dict:
    """The JOSE header of a JWT (``kid``, ``alg``)."""
    return _segment(token, 0)


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge) as RFC 7636 §4 defines them."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


class KeycloakAdmin:
    """Keycloak's admin REST API (``/admin/realms/...``) as the bootstrap administrator."""

    def __init__(self, base_url: str, password: str, realm: str = REALM):
        self.base_url = base_url
        self.password = password
        self.realm = realm
        self._token: str | None = None
        self._expires = 0.0

    def token(self) -> str:
        if self._token is None or time.monotonic() > self._expires:
            response = httpx.post(
                f"{self.base_url}/realms/master/protocol/openid-connect/token",
                data={
                    "grant_type": "password",
                    "client_id": "admin-cli",
                    "username": "admin",
                    "password": self.password,
                },
                timeout=30,
            )
            response.raise_for_status()
            body = response.json()
            self._token = body["access_token"]
            self._expires = time.monotonic() + body["expires_in"] - 10
        return self._token

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        """``path`` below ``/admin/realms/<realm>`` (``""`` is the realm itself)."""
        headers = {"Authorization": f"Bearer {self.token()}", **kwargs.pop("headers", {})}
        url = f"{self.base_url}/admin/realms/{self.realm}{path}"
        return httpx.request(method, url, headers=headers, timeout=30, **kwargs)

    def active_kid(self, algorithm: str = "RS256") -> str:
        response = self.request("GET", "/keys")
        response.raise_for_status()
        return response.json()["active"][algorithm]

    def rotate_signing_key(self, priority: int | None = None) -> str:
        """Add an ``rsa-generated`` key provider above the others (``priority`` defaults to above the
        highest: rotating twice in a session works): new tokens are signed with a new key (its ``kid``
        is returned); the old key stays in the JWKS, as in a real rotation."""
        realm = self.request("GET", "")
        realm.raise_for_status()
        before = self.active_kid()
        if priority is None:
            keys = self.request("GET", "/keys").json()["keys"]
            priority = max(int(key.get("providerPriority", 0)) for key in keys) + 100
        component = {
            "name": f"rsa-rotated-{secrets.token_hex(4)}",
            "providerId": "rsa-generated",
            "providerType": "org.keycloak.keys.KeyProvider",
            "parentId": realm.json()["id"],
            "config": {"priority": [str(priority)], "enabled": ["true"], "active": ["true"], "keySize": ["2048"]},
        }
        created = self.request("POST", "/components", json=component)
        assert created.status_code == 201, created.text
        after = self.active_kid()
        assert after != before, "the new key provider did not become the active RS256 key"
        return after


class TestKeycloak:
    """One running Keycloak with the newform realm, as the tests see it."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, server: LocalKeycloak, secrets_by_client: dict[str, str]):
        self.server = server
        self.issuer = server.issuer
        self.base_url = server.base_url
        self.audience = AUDIENCE
        self.app_client_id = APP_CLIENT_ID
        self.token_endpoint = f"{self.issuer}/protocol/openid-connect/token"
        self.authorization_endpoint = f"{self.issuer}/protocol/openid-connect/auth"
        self._secrets = secrets_by_client
        self.client_ids = tuple(c.client_id for c in DEMO_CLIENTS)
        self.users = {p.username: DemoUser(p.username, p.password, p.role.value, p.id_number) for p in DEMO_PEOPLE}
        self.workers = tuple(u for u in self.users.values() if u.role == "worker")
        self.admin = KeycloakAdmin(self.base_url, server.admin_password)

    def client_secret(self, client_id: str) -> str:
        return self._secrets[client_id]

    def client_credentials_token(self, client_id: str) -> str:
        response = httpx.post(
            self.token_endpoint,
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": self._secrets[client_id],
            },
            timeout=30,
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def login(self, username: str, password: str | None = None, *, redirect_uri: str = DEFAULT_REDIRECT) -> dict:
        """Sign ``username`` in as the workers' app does: authorization request with PKCE S256,
        Keycloak's login form, the code at ``redirect_uri``, the code exchanged at the token endpoint."""
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(16)
        with httpx.Client(timeout=30, follow_redirects=False) as browser:
            page = browser.get(
                self.authorization_endpoint,
                params={
                    "client_id": self.app_client_id,
                    "redirect_uri": redirect_uri,
                    "response_type": "code",
                    "scope": "openid",
                    "state": state,
                    "code_challenge": challenge,
                    "code_challenge_method": "S256",
                },
            )
            if page.status_code != 200 or 'id="kc-form-login"' not in page.text:
                raise LoginRefused(f"no login form ({page.status_code}): {page.text[:500]}")
            action = html.unescape(re.search(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"', page.text)[1])
            password = password if password is not None else self.users[username].password
            # Keycloak's session cookies are `Secure`: browsers send them to loopback http, httpx does not.
            cookies = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
            answer = browser.post(
                action,
                data={"username": username, "password": password, "credentialId": ""},
                headers={"Cookie": cookies},
            )
            location = answer.headers.get("location", "")
            if answer.status_code != 302 or not location.startswith(redirect_uri):
                raise LoginRefused(f"login of {username} not accepted ({answer.status_code}): {answer.text[:500]}")
            query = parse_qs(urlsplit(location).query)
            assert query["state"] == [state]
            tokens = browser.post(
                self.token_endpoint,
                data={
                    "grant_type": "authorization_code",
                    "code": query["code"][0],
                    "redirect_uri": redirect_uri,
                    "client_id": self.app_client_id,
                    "code_verifier": verifier,
                },
            )
            tokens.raise_for_status()
            return tokens.json()

    def authorization_page(self, redirect_uri: str) -> httpx.Response:
        """What Keycloak answers an authorization request of the app to ``redirect_uri``."""
        _verifier, challenge = pkce_pair()
        return httpx.get(
            self.authorization_endpoint,
            params={
                "client_id": self.app_client_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": "openid",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
            timeout=30,
        )


#: Test servers' secrets are fixed: a database copied from a template (below) holds the realm as it
#: was imported there, with these secrets and this administrator password. Loopback-only test servers.
TEST_ADMIN_PASSWORD = "newform-test-admin"
TEST_SECRETS = {c.client_id: f"test-secret-{c.client_id}" for c in DEMO_CLIENTS}


@contextmanager
def running_keycloak(data_dir: Path, database_url: str) -> Iterator[TestKeycloak]:
    """Keycloak on ``database_url`` (an empty database, or a copy of one it ran on) with the newform realm."""
    server = LocalKeycloak(
        data_dir, free_port(), database_url, admin_password=TEST_ADMIN_PASSWORD, realm=realm_document(TEST_SECRETS)
    )
    server.start()
    try:
        yield TestKeycloak(server, TEST_SECRETS)
    finally:
        server.stop()


def template_name() -> str:
    """The template database of this Keycloak version and realm (a changed realm makes another)."""
    document = json.dumps([KEYCLOAK_VERSION, realm_document(TEST_SECRETS)], sort_keys=True)
    return f"keycloak_template_{hashlib.sha256(document.encode()).hexdigest()[:16]}"


def keycloak_database(postgres, data_dir: Path, *, from_template: bool) -> str:
    """A new database for a session's Keycloak, on the suite's server (``postgres`` fixture).

    ``from_template`` (a server that outlives the session: the shared development servers): a copy of
    a template database Keycloak already created its schema and imported the realm in — made once per
    server, Keycloak version and realm, under an advisory lock so sessions starting together make it
    once — which saves the ~30 s of schema creation and import each session. Else an empty database.
    """
    name = f"keycloak_{uuid.uuid4().hex[:10]}"
    if not from_template:
        postgres.create_database(name)
        return postgres.url(name)
    template = template_name()
    _run(_copy_template(postgres, template, name, data_dir))
    return postgres.url(name)


async def _copy_template(postgres, template: str, name: str, data_dir: Path) -> None:
    conn = await asyncpg.connect(postgres.url("postgres").replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await conn.execute("SELECT pg_advisory_lock(hashtext($1))", template)
        ready = await conn.fetchval(
            "SELECT shobj_description(oid, 'pg_database') = 'ready' FROM pg_database WHERE datname = $1", template
        )
        if not ready:
            await conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{template}"')
            # Keycloak makes its schema and imports the realm there, then stops: the template is complete.
            await asyncio.to_thread(_first_start, data_dir / "template", postgres.url(template))
            await conn.execute(f"COMMENT ON DATABASE \"{template}\" IS 'ready'")
        for attempt in range(40):
            try:
                await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                break
            except asyncpg.ObjectInUseError:  # the template's last connections are still closing
                if attempt == 39:
                    raise
                await asyncio.sleep(0.25)
    finally:
        await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", template)
        await conn.close()


def _first_start(data_dir: Path, database_url: str) -> None:
    with running_keycloak(data_dir, database_url):
        pass


def _run(coro) -> None:
    """Run a coroutine on a loop of its own (fixtures may be set up inside the session's loop)."""
    errors: list[BaseException] = []

    def runner() -> None:
        try:
            asyncio.run(coro)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=runner, name="keycloak-database")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
