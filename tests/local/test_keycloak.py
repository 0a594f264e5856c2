"""The local identity provider: Keycloak with the newform realm issues the tokens the identity contract
describes (COMMON.md; issue 21), to platforms and departments by client credentials and to workers
through the app's authorization code flow with PKCE on Keycloak's own login page."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from newform_common.identity import validate_resident_id
from newform_local.keycloak_realm import DEMO_CLIENTS
from newform_local.ports import free_port

from ..kit.idp import LoginRefused, TestKeycloak, decode_claims, decode_header

OUR_ROLES = {"platform", "enterprise", "worker_channel", "mediator", "training_body", "worker"}
OUR_ROLES |= {"department", "regulator", "admin"}


def our_roles(claims: dict) -> set[str]:
    return set(claims["realm_access"]["roles"]) & OUR_ROLES


def test_the_realm_is_imported_with_its_discovery_document_and_chinese_login(keycloak: TestKeycloak) -> None:
    discovery = httpx.get(f"{keycloak.issuer}/.well-known/openid-configuration", timeout=30).json()
    assert discovery["issuer"] == keycloak.issuer
    assert "S256" in discovery["code_challenge_methods_supported"]
    keys = httpx.get(discovery["jwks_uri"], timeout=30).json()["keys"]
    assert any(key["use"] == "sig" and key["alg"] == "RS256" for key in keys)

    realm = keycloak.admin.request("GET", "").json()
    assert realm["defaultLocale"] == "zh-CN" and set(realm["supportedLocales"]) == {"zh-CN", "en"}
    roles = {role["name"] for role in keycloak.admin.request("GET", "/roles").json()}
    assert OUR_ROLES <= roles

    page = keycloak.authorization_page("http://127.0.0.1:8000/app/")
    assert page.status_code == 200
    assert 'lang="zh-CN"' in page.text and "登录" in page.text


@pytest.mark.parametrize("client", DEMO_CLIENTS, ids=lambda c: c.client_id)
def test_a_platform_or_department_gets_a_token_by_client_credentials(keycloak: TestKeycloak, client) -> None:
    claims = decode_claims(keycloak.client_credentials_token(client.client_id))
    assert claims["iss"] == keycloak.issuer
    assert "newform" in claims["aud"]
    assert our_roles(claims) == {client.role.value}
    for name, value in client.attributes.items():
        assert claims[name] == value
    assert "id_number" not in claims
    assert claims["preferred_username"] == f"service-account-{client.client_id}"
    assert {"exp", "iat", "sub"} <= claims.keys()


def test_a_wrong_client_secret_gets_no_token(keycloak: TestKeycloak) -> None:
    response = httpx.post(
        keycloak.token_endpoint,
        data={"grant_type": "client_credentials", "client_id": "demo-platform", "client_secret": "guessed"},
        timeout=30,
    )
    assert response.status_code == 401


def test_a_worker_signs_in_on_the_login_page_and_the_token_carries_the_id_number(keycloak: TestKeycloak) -> None:
    worker = keycloak.workers[0]
    tokens = keycloak.login(worker.username)
    claims = decode_claims(tokens["access_token"])
    assert claims["iss"] == keycloak.issuer and "newform" in claims["aud"]
    assert our_roles(claims) == {"worker"}
    assert claims["id_number"] == worker.id_number == validate_resident_id(worker.id_number)
    assert claims["azp"] == keycloak.app_client_id
    with pytest.raises(LoginRefused):
        keycloak.login(worker.username, "wrong password")


def test_the_app_in_a_browser_may_call_the_provider_from_a_loopback_gateway_on_any_port(keycloak: TestKeycloak) -> None:
    # CORS: the workers' app exchanges its code and reads the user's info from the gateway's page.
    tokens = keycloak.login(keycloak.workers[0].username, redirect_uri="http://127.0.0.1:39123/app/")
    origin = "http://127.0.0.1:39123"
    preflight = httpx.options(
        keycloak.token_endpoint,
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        timeout=30,
    )
    assert preflight.headers.get("access-control-allow-origin") == origin
    info = httpx.get(
        f"{keycloak.issuer}/protocol/openid-connect/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}", "Origin": origin},
        timeout=30,
    )
    assert info.status_code == 200 and info.headers.get("access-control-allow-origin") == origin


@pytest.mark.parametrize(
    ("username", "role", "scope"),
    [
        ("regulator", "regulator", {}),
        ("mediator", "mediator", {}),
        ("officer-chengzhong", "department", {"department": "county", "district": "chengzhong"}),
    ],
)
def test_other_demo_people_sign_in_with_their_role(keycloak: TestKeycloak, username, role, scope) -> None:
    claims = decode_claims(keycloak.login(username)["access_token"])
    assert our_roles(claims) == {role}
    assert claims["preferred_username"] == username
    for name, value in scope.items():
        assert claims[name] == value
    assert "id_number" not in claims


def test_the_app_may_return_to_a_loopback_gateway_on_any_port_and_nowhere_else(keycloak: TestKeycloak) -> None:
    for port in (8000, 18734, 54321):
        page = keycloak.authorization_page(f"http://127.0.0.1:{port}/app/")
        assert page.status_code == 200 and 'id="kc-form-login"' in page.text, port
    assert keycloak.login(keycloak.workers[1].username, redirect_uri="http://127.0.0.1:47321/app/")["access_token"]
    for elsewhere in ("http://evil.example/app/", "https://127.0.0.1.evil.example/app/", "http://127.0.0.1:8000/admin"):
        page = keycloak.authorization_page(elsewhere)
        assert page.status_code == 400 and 'id="kc-form-login"' not in page.text, elsewhere


def test_the_app_client_has_no_password_grant(keycloak: TestKeycloak) -> None:
    worker = keycloak.workers[0]
    response = httpx.post(
        keycloak.token_endpoint,
        data={
            "grant_type": "password",
            "client_id": keycloak.app_client_id,
            "username": worker.username,
            "password": worker.password,
        },
        timeout=30,
    )
    assert response.status_code in (400, 401)


def test_a_key_rotation_signs_new_tokens_with_a_new_key_and_keeps_the_old_one_published(
    keycloak: TestKeycloak,
) -> None:
    before = decode_header(keycloak.client_credentials_token("dept-hrss"))["kid"]
    new_kid = keycloak.admin.rotate_signing_key()
    after = decode_header(keycloak.client_credentials_token("dept-hrss"))["kid"]
    assert after == new_kid != before
    assert keycloak.admin.rotate_signing_key() not in (before, after)  # and again, as a later rotation would
    jwks = httpx.get(f"{keycloak.issuer}/protocol/openid-connect/certs", timeout=30).json()
    published = {key["kid"] for key in jwks["keys"]}
    assert {before, after} <= published


def test_without_java_21_newform_dev_says_what_to_install_or_to_run_without_the_provider(tmp_path) -> None:
    old_jdk = tmp_path / "jdk-17"
    (old_jdk / "bin").mkdir(parents=True)
    (old_jdk / "bin" / "java").write_text("#!/bin/sh\nexit 1\n")
    (old_jdk / "release").write_text('JAVA_VERSION="17.0.9"\n')
    data = tmp_path / "data"
    env = {**os.environ, "KEYCLOAK_JAVA_HOME": str(old_jdk)}
    args = ["dev", "--data-dir", str(data), "--pg-port", str(free_port()), "--kafka-port", str(free_port())]
    run = subprocess.run(
        [sys.executable, "-m", "newform_local.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode != 0
    assert "Java 21" in run.stderr and "--no-idp" in run.stderr, run.stderr
    assert not (data / "postgres").exists()  # nothing was started
