"""The ``newform`` realm of the local identity provider (Keycloak), generated from the data below.

It follows the identity contract the services verify (``newform_common.oidc``; COMMON.md):

- realm roles named as our roles (``newform_common.auth.Role``); a token's ``realm_access.roles``
  holds exactly one of them (Keycloak's own default roles ride along and are ignored);
- one client scope, ``newform``, default for every client: audience ``newform`` and the user
  attributes ``platform_id``, ``department``, ``district``, ``id_number`` as top-level access-token
  claims. Keycloak 24+ drops user attributes its declarative user profile does not know, so the
  profile declares them (read and written by administrators only: a worker cannot change the ID
  number the province's identity service verified);
- ``newform-app``: the workers' app at the gateway's ``/app/`` (public client, authorization code with
  PKCE S256, no password grant); loopback redirect URIs without a port, which Keycloak matches on
  any port (RFC 8252 §7.3): a gateway on a test's free port works too;
- one confidential client per demo platform and department (client credentials): its
  service-account user carries the role and the scope attributes;
- demo people with passwords: workers with valid resident ID numbers (their ``w_…`` ids are the ones
  the demo platforms' contracts give them, derived from the same numbers), a regulator, a district
  government officer, a mediator;
- login pages in zh-CN by default (en offered).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from newform_common.auth import Role
from newform_common.identity import make_resident_id

from .keycloak_theme import THEME

REALM = "newform"
AUDIENCE = "newform"
APP_CLIENT_ID = "newform-app"
#: The regulator's dashboard at the gateway (its /signin/callback): officers sign in there.
DASHBOARD_CLIENT_ID = "newform-dashboard"
SCOPE = "newform"
#: One password for every demo person: the local stack's people are fictional (README "Signing in").
DEMO_PASSWORD = "newform-demo"
#: The attributes that become top-level access-token claims of the same name.
CLAIM_ATTRIBUTES = ("platform_id", "department", "district", "id_number")
#: Keycloak's built-in scopes every client keeps (``basic`` carries ``sub``, ``roles`` ``realm_access``).
#: A realm that lists client scopes gets none of Keycloak's by default, so ``builtin_scopes`` declares them.
BUILTIN_DEFAULT_SCOPES = ("basic", "profile", "email", "roles", "web-origins", "acr")
#: Where the gateway serves the workers' app; loopback hosts without a port match any port.
APP_REDIRECT_URIS = ("http://127.0.0.1/app/*", "http://localhost/app/*", "http://[::1]/app/*")
#: Where the dashboard's sign-in comes back to, and where its sign-out ends (any loopback port).
DASHBOARD_REDIRECT_URIS = tuple(f"http://{host}/signin/callback" for host in ("127.0.0.1", "localhost", "[::1]"))
DASHBOARD_LOGOUT_URIS = tuple(f"http://{host}/signin" for host in ("127.0.0.1", "localhost", "[::1]"))


@dataclass(frozen=True)
class Person:
    """A demo person who signs in on Keycloak's login page."""

    username: str
    role: Role
    last_name: str
    first_name: str
    attributes: dict[str, str] = field(default_factory=dict)
    password: str = DEMO_PASSWORD

    @property
    def id_number(self) -> str | None:
        return self.attributes.get("id_number")


@dataclass(frozen=True)
class ServiceClient:
    """A confidential client of a platform or a department: client credentials, acting as itself."""

    client_id: str
    role: Role
    name: str
    attributes: dict[str, str] = field(default_factory=dict)


#: The demo platform the local stack registers (``stack.DEMO_PLATFORM``) and the departments it knows.
DEMO_CLIENTS: tuple[ServiceClient, ...] = (
    ServiceClient("demo-platform", Role.platform, "演示平台（newform demo）", {"platform_id": "demo-platform"}),
    ServiceClient("dept-hrss", Role.department, "市人力资源社会保障局", {"department": "hrss"}),
    ServiceClient(
        "dept-county-chengzhong",
        Role.department,
        "城中区人民政府",
        {"department": "county", "district": "chengzhong"},
    ),
)

#: Demo workers: their ID numbers are valid (GB 11643), fictional (Xining's 城中区 region code).
DEMO_PEOPLE: tuple[Person, ...] = (
    Person(
        "worker-zhang",
        Role.worker,
        "张",
        "伟",
        {"id_number": make_resident_id("630103", date(1992, 3, 14), "121")},
    ),
    Person(
        "worker-li",
        Role.worker,
        "李",
        "娜",
        {"id_number": make_resident_id("630104", date(1996, 8, 2), "242")},
    ),
    Person("regulator", Role.regulator, "王", "监管"),
    Person(
        "officer-chengzhong",
        Role.department,
        "赵",
        "区干部",
        {"department": "county", "district": "chengzhong"},
    ),
    Person("mediator", Role.mediator, "陈", "调解"),
)


def demo_person(username: str) -> Person:
    return next(p for p in DEMO_PEOPLE if p.username == username)


# -- client secrets ------------------------------------------------------------------------------
def client_secrets(path: Path) -> dict[str, str]:
    """The confidential clients' secrets, generated once per stack and kept in ``path`` (mode 0600)
    beside the stack's other development keys. A client added later gets its secret on next read."""
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    wanted = {c.client_id: known.get(c.client_id) or secrets.token_urlsafe(24) for c in DEMO_CLIENTS}
    if wanted != known:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(wanted, indent=2) + "\n")
        path.chmod(0o600)
    return wanted


# -- the realm document --------------------------------------------------------------------------
def _attribute_mapper(attribute: str) -> dict:
    return {
        "name": attribute,
        "protocol": "openid-connect",
        "protocolMapper": "oidc-usermodel-attribute-mapper",
        "config": {
            "user.attribute": attribute,
            "claim.name": attribute,
            "jsonType.label": "String",
            "access.token.claim": "true",
            "id.token.claim": "false",
            "userinfo.token.claim": "true",
            "introspection.token.claim": "true",
            "multivalued": "false",
        },
    }


def _mapper(name: str, kind: str, **config: str) -> dict:
    return {"name": name, "protocol": "openid-connect", "protocolMapper": kind, "config": config}


def _claim(name: str, attribute: str, claim: str, json_type: str = "String") -> dict:
    return _mapper(
        name,
        "oidc-usermodel-attribute-mapper" if attribute not in ("email_verified",) else "oidc-usermodel-property-mapper",
        **{
            "user.attribute": "emailVerified" if attribute == "email_verified" else attribute,
            "claim.name": claim,
            "jsonType.label": json_type,
            "access.token.claim": "true",
            "id.token.claim": "true",
            "userinfo.token.claim": "true",
            "introspection.token.claim": "true",
        },
    )


def builtin_scopes() -> list[dict]:
    """Keycloak's own default scopes as a new realm gets them (the mappers the tokens need)."""
    in_all = {"access.token.claim": "true", "introspection.token.claim": "true"}
    scopes = {
        "basic": [
            _mapper("sub", "oidc-sub-mapper", **in_all),
            _mapper(
                "auth_time",
                "oidc-usersessionmodel-note-mapper",
                **in_all,
                **{"user.session.note": "AUTH_TIME", "claim.name": "auth_time", "jsonType.label": "long"},
                **{"id.token.claim": "true"},
            ),
        ],
        "roles": [
            _mapper(
                "realm roles",
                "oidc-usermodel-realm-role-mapper",
                **in_all,
                **{"claim.name": "realm_access.roles", "jsonType.label": "String", "multivalued": "true"},
            ),
            _mapper(
                "client roles",
                "oidc-usermodel-client-role-mapper",
                **in_all,
                **{"claim.name": "resource_access.${client_id}.roles", "jsonType.label": "String"},
                **{"multivalued": "true"},
            ),
            _mapper("audience resolve", "oidc-audience-resolve-mapper", **in_all),
        ],
        "profile": [
            _claim("username", "username", "preferred_username"),
            _claim("given name", "firstName", "given_name"),
            _claim("family name", "lastName", "family_name"),
            _claim("locale", "locale", "locale"),
            _mapper("full name", "oidc-full-name-mapper", **in_all, **{"id.token.claim": "true"}),
        ],
        "email": [
            _claim("email", "email", "email"),
            _claim("email verified", "email_verified", "email_verified", "boolean"),
        ],
        "web-origins": [_mapper("allowed web origins", "oidc-allowed-origins-mapper", **in_all)],
        "acr": [_mapper("acr loa level", "oidc-acr-mapper", **in_all, **{"id.token.claim": "true"})],
    }
    return [
        {
            "name": name,
            "protocol": "openid-connect",
            "attributes": {"include.in.token.scope": "true" if name in ("profile", "email") else "false"},
            "protocolMappers": mappers,
        }
        for name, mappers in scopes.items()
    ]


def newform_scope() -> dict:
    """The client scope every client gets: our audience and the scope attributes as claims."""
    audience = {
        "name": "audience newform",
        "protocol": "openid-connect",
        "protocolMapper": "oidc-audience-mapper",
        "config": {
            "included.custom.audience": AUDIENCE,
            "access.token.claim": "true",
            "id.token.claim": "false",
            "introspection.token.claim": "true",
        },
    }
    return {
        "name": SCOPE,
        "description": "newform: audience and scope claims (role, platform, department, district, ID number)",
        "protocol": "openid-connect",
        "attributes": {"include.in.token.scope": "false", "display.on.consent.screen": "false"},
        "protocolMappers": [audience, *(_attribute_mapper(a) for a in CLAIM_ATTRIBUTES)],
    }


def user_profile() -> dict:
    """Keycloak's declarative user profile: the defaults (names and email optional: a worker may have
    no email) and our claim attributes, which only administrators (and imports) see and set."""
    person = {"view": ["admin", "user"], "edit": ["admin", "user"]}
    admin_only = {"view": ["admin"], "edit": ["admin"]}
    name_checks = {"length": {"max": 255}, "person-name-prohibited-characters": {}}
    attributes = [
        {
            "name": "username",
            "displayName": "${username}",
            "validations": {
                "length": {"min": 3, "max": 255},
                "username-prohibited-characters": {},
                "up-username-not-idn-homograph": {},
            },
            "permissions": person,
            "multivalued": False,
        },
        {
            "name": "email",
            "displayName": "${email}",
            "validations": {"email": {}, "length": {"max": 255}},
            "permissions": person,
            "multivalued": False,
        },
        {"name": "firstName", "displayName": "${firstName}", "validations": name_checks, "permissions": person},
        {"name": "lastName", "displayName": "${lastName}", "validations": name_checks, "permissions": person},
    ]
    attributes += [
        {"name": name, "displayName": name, "permissions": admin_only, "multivalued": False}
        for name in CLAIM_ATTRIBUTES
    ]
    return {"attributes": attributes, "groups": [], "unmanagedAttributePolicy": "ADMIN_EDIT"}


def app_client(*, web_origins: list[str] | None = None, password_grant: bool = False) -> dict:
    """The workers' app: public, authorization code + PKCE S256 only. ``web_origins`` defaults to
    ``*``: locally the gateway runs on any loopback port (tests use free ports), and CORS origins
    have no port wildcard; a production realm names its gateway's origin."""
    return {
        "clientId": APP_CLIENT_ID,
        "name": "新就业形态劳动者服务",
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": True,
        "standardFlowEnabled": True,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": password_grant,
        "serviceAccountsEnabled": False,
        "frontchannelLogout": True,
        "redirectUris": list(APP_REDIRECT_URIS),
        "webOrigins": web_origins or ["*"],
        "attributes": {
            "pkce.code.challenge.method": "S256",
            "post.logout.redirect.uris": "##".join(APP_REDIRECT_URIS),
        },
        "defaultClientScopes": [*BUILTIN_DEFAULT_SCOPES, SCOPE],
    }


def dashboard_client() -> dict:
    """The regulator's dashboard: the gateway signs officers in server-side (authorization code +
    PKCE S256; web/signin.py). Public like the app's: its PKCE verifier never leaves the gateway, and
    a local stack then needs no secret for it; a production realm may make it confidential
    (DASHBOARD_CLIENT_SECRET_FILE)."""
    return {
        "clientId": DASHBOARD_CLIENT_ID,
        "name": "新就业形态劳动者权益监管平台",
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": True,
        "standardFlowEnabled": True,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": False,
        "redirectUris": list(DASHBOARD_REDIRECT_URIS),
        "attributes": {
            "pkce.code.challenge.method": "S256",
            "post.logout.redirect.uris": "##".join(DASHBOARD_LOGOUT_URIS),
        },
        "defaultClientScopes": [*BUILTIN_DEFAULT_SCOPES, SCOPE],
    }


def service_client(client: ServiceClient, secret: str) -> dict:
    return {
        "clientId": client.client_id,
        "name": client.name,
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "clientAuthenticatorType": "client-secret",
        "secret": secret,
        "standardFlowEnabled": False,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": True,
        "defaultClientScopes": [*BUILTIN_DEFAULT_SCOPES, SCOPE],
    }


def _attributes(values: dict[str, str]) -> dict[str, list[str]]:
    return {name: [value] for name, value in values.items()}


def service_account_user(client: ServiceClient) -> dict:
    return {
        "username": f"service-account-{client.client_id}",
        "enabled": True,
        "serviceAccountClientId": client.client_id,
        "attributes": _attributes(client.attributes),
        "realmRoles": [f"default-roles-{REALM}", client.role.value],
    }


def person_user(person: Person) -> dict:
    return {
        "username": person.username,
        "enabled": True,
        "firstName": person.first_name,
        "lastName": person.last_name,
        "email": f"{person.username}@demo.newform.local",
        "emailVerified": True,
        "attributes": {**_attributes(person.attributes), "locale": ["zh-CN"]},
        "credentials": [{"type": "password", "value": person.password, "temporary": False}],
        "realmRoles": [f"default-roles-{REALM}", person.role.value],
        "requiredActions": [],
    }


def realm_document(
    secrets_by_client: dict[str, str],
    *,
    web_origins: list[str] | None = None,
    password_grant: bool = False,
) -> dict:
    """The realm as Keycloak imports it (``--import-realm``). ``password_grant`` lets the app client
    use the resource-owner password grant: off in the local stack as in production."""
    roles = [{"name": role.value, "description": f"newform: {role.value}"} for role in Role]
    return {
        "realm": REALM,
        "enabled": True,
        "displayName": "新就业形态劳动者权益服务",
        "sslRequired": "external",
        "registrationAllowed": False,
        "loginWithEmailAllowed": True,
        "resetPasswordAllowed": False,
        "bruteForceProtected": True,
        "accessTokenLifespan": 900,
        "internationalizationEnabled": True,
        "supportedLocales": ["zh-CN", "en"],
        "defaultLocale": "zh-CN",
        # keycloak.v2 with the Chinese web font: the zh-CN page must not render as boxes (keycloak_theme.py).
        "loginTheme": THEME,
        "roles": {"realm": roles},
        "clientScopes": [*builtin_scopes(), newform_scope()],
        "defaultDefaultClientScopes": [*BUILTIN_DEFAULT_SCOPES, SCOPE],
        "clients": [
            app_client(web_origins=web_origins, password_grant=password_grant),
            dashboard_client(),
            *(service_client(c, secrets_by_client[c.client_id]) for c in DEMO_CLIENTS),
        ],
        "users": [*(person_user(p) for p in DEMO_PEOPLE), *(service_account_user(c) for c in DEMO_CLIENTS)],
        "components": {
            "org.keycloak.userprofile.UserProfileProvider": [
                {
                    "providerId": "declarative-user-profile",
                    "subComponents": {},
                    "config": {"kc.user.profile.config": [json.dumps(user_profile(), ensure_ascii=False)]},
                }
            ]
        },
    }
