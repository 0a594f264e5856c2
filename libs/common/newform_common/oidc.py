"""OpenID Connect issuers a service trusts beside its own token issuer (issue 21).

A city signs people in through its identity provider (Keycloak locally, the province's unified
identity service in production); every service accepts that provider's **access tokens** as they
are, so no token is exchanged on the way. `OIDC_ISSUERS` names the trusted issuers (their URLs,
exactly as the tokens' `iss` says) and `OIDC_AUDIENCE` the audience a token must name (`newform`).

Keys: the issuer's discovery document (`<issuer>/.well-known/openid-configuration`) gives
`jwks_uri`; the key set is fetched once and kept. A token naming a `kid` not in it makes the
service fetch the set again (the provider rotated its keys) when the token is newer than the set
held, and at most once per `REFETCH_FLOOR_S`, so a stream of forged `kid`s cannot turn the service
into a load on the provider. While the provider
is unreachable, tokens signed by a key already known keep verifying; one signed by an unknown key
gets 503 (`identity-provider-unavailable`), not 401: the token may be good, the service cannot tell.

Claims → `Principal` (`principal_from_claims`, pure):
- the role is the one realm role (`realm_access.roles`, Keycloak's place for them) that is one of
  ours; none or two of ours is refused — a token must not leave the service to guess;
- `platform_id`, `department`, `district` are top-level claims (user attributes, which a client's
  service-account user carries too);
- a worker's subject is the pseudonymous id derived from the `id_number` claim with PII_SECRET's
  pseudonym key — the same `w_…` the platforms' contracts give that person — and the number itself
  goes no further than this function (never stored, logged, or put into the Principal);
- anyone else's subject is `preferred_username`, else `sub`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from .auth import AUDIENCE, ISSUER, SCOPE_REQUIRED, Principal, Role, TokenVerifier
from .errors import Problem, Unauthorized
from .identity import InvalidIdentifier, pseudonym

log = logging.getLogger(__name__)

#: Asymmetric algorithms only: a symmetric `alg` with a public key as the secret is the classic forgery.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
#: The least time between two key-set fetches: bounds what forged key ids can cost the provider.
REFETCH_FLOOR_S = 2.0
#: A key set older than this is fetched again on the next token (keys retired by the provider go).
KEYS_MAX_AGE_S = 3600.0
HTTP_TIMEOUT_S = 5.0
#: Seconds of clock difference tolerated between the provider and this service.
LEEWAY_S = 30


class IdentityProviderUnavailable(Problem):
    status, slug, title = 503, "identity-provider-unavailable", "Identity provider unavailable"

    def __init__(self, detail: str, *, retry_after_s: float = 10):
        super().__init__(detail, headers={"Retry-After": str(math.ceil(retry_after_s))})


def issuer_urls(configured: str) -> list[str]:
    """The issuers of an `OIDC_ISSUERS` value: comma- or space-separated URLs, kept exactly (the `iss`
    comparison is exact, OpenID Connect Core §3.1.3.7), without a trailing slash added or removed."""
    return [part for part in configured.replace(",", " ").split() if part]


def principal_from_claims(claims: Mapping[str, Any], pseudonym_key: bytes) -> Principal:
    """The caller an identity provider's verified claims describe (module docstring for the mapping)."""
    realm_access = claims.get("realm_access")
    granted = realm_access.get("roles") if isinstance(realm_access, Mapping) else None
    ours = sorted({r for r in granted if isinstance(r, str)} & set(Role)) if isinstance(granted, list) else []
    if not ours:
        raise Unauthorized("The token carries none of this system's roles (realm_access.roles)")
    if len(ours) > 1:
        raise Unauthorized(f"The token carries more than one of this system's roles ({', '.join(ours)})")
    role = Role(ours[0])
    fields = {name: claims.get(name) for name in ("platform_id", "department", "district")}
    if not all(value is None or isinstance(value, str) for value in fields.values()):
        raise Unauthorized("The token's platform_id, department and district claims must be strings")
    needed = SCOPE_REQUIRED.get(role)
    if needed and not fields[needed]:
        raise Unauthorized(f"A {role} token needs a {needed} claim")
    subject: object = (
        _worker_subject(claims.get("id_number"), pseudonym_key)
        if role == Role.worker
        else claims.get("preferred_username") or claims.get("sub")
    )
    if not isinstance(subject, str) or not subject:
        raise Unauthorized("The token names no subject")
    jti = claims.get("jti")
    return Principal(
        subject=subject,
        role=role,
        token_id=jti if isinstance(jti, str) else None,
        **{name: value for name, value in fields.items() if value},
    )


def _worker_subject(id_number: object, pseudonym_key: bytes) -> str:
    if not isinstance(id_number, str):
        raise Unauthorized("A worker's token carries the real-name verified ID number (id_number claim)")
    try:
        return pseudonym("worker", id_number, pseudonym_key)
    except InvalidIdentifier as exc:  # the reason only: the number itself is not repeated anywhere
        raise Unauthorized(f"The token's id_number is not a valid resident ID number ({exc.reason})") from None


@dataclass
class OidcIssuer:
    """One trusted issuer: its key set, fetched through discovery and refreshed on rotation."""

    issuer: str
    audience: str
    pseudonym_key: bytes
    http: httpx.AsyncClient | None = None
    _keys: dict[str, Any] = field(default_factory=dict)
    _fetched_at: float = float("-inf")
    _fetched_wall: float = float("-inf")
    _attempted_at: float = float("-inf")
    _unreachable: bool = False
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _discovery: dict[str, Any] | None = None
    _discovered_at: float = float("-inf")

    async def _get_json(self, url: str) -> dict[str, Any]:
        client = self.http or httpx.AsyncClient(timeout=HTTP_TIMEOUT_S)
        try:
            response = await client.get(url, headers={"Accept": "application/json"})
        finally:
            if self.http is None:
                await client.aclose()
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError(f"{url} did not answer with a JSON object")
        return body

    async def verify(self, token: str, header: Mapping[str, Any], issued_at: object) -> tuple[Principal, float]:
        """The caller and the token's expiry; `issued_at` is the unverified `iat`, which only decides
        whether an unknown key id is worth fetching the key set again (`_key_for`)."""
        key = await self._key_for(header.get("kid"), header.get("alg"), issued_at)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_S,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The token has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthorized(f"The token is not meant for this system (audience {self.audience} missing)") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("The token is invalid") from exc
        return principal_from_claims(claims, self.pseudonym_key), float(claims["exp"])

    async def _key_for(self, kid: object, alg: object, issued_at: object) -> Any:
        if not isinstance(kid, str) or alg not in ALGORITHMS:
            raise Unauthorized("The token names no key id or an algorithm this system does not accept")
        if kid in self._keys and time.monotonic() - self._fetched_at < KEYS_MAX_AGE_S:
            return self._keys[kid]
        # An unknown key id is worth a fetch only if the token is newer than the key set held: a
        # provider publishes a key before it signs with it, so a set fetched after the token was
        # issued that lacks its key settles the question without asking again.
        newer = not isinstance(issued_at, int | float) or issued_at >= self._fetched_wall - LEEWAY_S
        async with self._lock:  # concurrent requests with a new key id share one fetch
            stale = time.monotonic() - self._fetched_at >= KEYS_MAX_AGE_S
            wanted = stale or (kid not in self._keys and newer)
            too_soon = time.monotonic() - self._attempted_at < REFETCH_FLOOR_S
            if wanted and not too_soon:
                self._attempted_at = time.monotonic()
                self._unreachable = not await self._fetch_keys()
        if kid in self._keys:
            return self._keys[kid]  # also while the provider is down: a known key keeps serving
        if self._unreachable:
            raise IdentityProviderUnavailable(
                f"The identity provider {self.issuer} cannot be reached to check this token's key; retry shortly"
            )
        if newer and too_soon:  # a key published since the last fetch, or a forged id: asked again shortly
            raise IdentityProviderUnavailable(
                "The token names a signing key not yet known here; retry shortly", retry_after_s=REFETCH_FLOOR_S
            )
        raise Unauthorized("The token was signed by a key its issuer does not publish")

    async def discovery(self, *, fresh: bool = False) -> dict[str, Any]:
        """The issuer's discovery document (its endpoints: authorization, token, end-session, keys),
        kept for `KEYS_MAX_AGE_S`; what a sign-in page needs as much as the key fetch. Raises
        `IdentityProviderUnavailable` when the provider cannot be read."""
        if not fresh and self._discovery is not None and time.monotonic() - self._discovered_at < KEYS_MAX_AGE_S:
            return self._discovery
        try:
            document = await self._get_json(self.issuer.rstrip("/") + "/.well-known/openid-configuration")
            if document.get("issuer") != self.issuer:
                raise ValueError(f"its discovery document names issuer {document.get('issuer')!r}")
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("identity provider %s: discovery document not read: %s", self.issuer, exc)
            raise IdentityProviderUnavailable(f"The identity provider {self.issuer} cannot be reached") from exc
        self._discovery, self._discovered_at = document, time.monotonic()
        return document

    async def _fetch_keys(self) -> bool:
        """Fetch the key set through discovery; False (keys kept as they were) when the provider fails."""
        try:
            discovery = await self.discovery(fresh=True)
            key_set = await self._get_json(str(discovery["jwks_uri"]))
        except (IdentityProviderUnavailable, httpx.HTTPError, ValueError, KeyError) as exc:
            log.warning("identity provider %s: key set not fetched: %s", self.issuer, exc)
            return False
        keys = {}
        for jwk in key_set.get("keys", []):
            if isinstance(jwk, dict) and jwk.get("use", "sig") == "sig" and isinstance(jwk.get("kid"), str):
                try:
                    keys[jwk["kid"]] = jwt.PyJWK(jwk).key
                except jwt.PyJWTError:
                    continue  # a key type this library cannot use
        self._keys, self._fetched_at, self._fetched_wall = keys, time.monotonic(), time.time()
        return True


class Authenticator:
    """Every issuer a service trusts: its own (`newform token`, the gateway's `/oauth/token`:
    `TokenVerifier`) and the OpenID Connect issuers of `OIDC_ISSUERS`, chosen by the token's `iss`
    (read before verifying, only to pick the keys; the chosen verifier checks it again). A verified
    token is remembered until its `exp` (bounded): a platform sends the same token with every request,
    and the signature check is the costly part of authenticating one."""

    def __init__(
        self,
        local: TokenVerifier,
        issuers: list[str] | tuple[str, ...] = (),
        *,
        audience: str = AUDIENCE,
        pseudonym_key: bytes = b"",
        remember: int = 4096,
    ):
        self.local = local
        self.issuers = {url: OidcIssuer(url, audience, pseudonym_key) for url in issuers}
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._remember = remember

    async def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is not None:
            principal, expires_at = known
            if time.time() < expires_at:
                self._verified.move_to_end(token)
                return principal
            del self._verified[token]
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise Unauthorized("The token is invalid") from exc
        issuer = unverified.get("iss")
        if isinstance(issuer, str) and issuer in self.issuers:
            principal, expires_at = await self.issuers[issuer].verify(token, header, unverified.get("iat"))
        elif issuer in (None, ISSUER):
            principal = self.local.verify(token)  # checks `exp` (required): the claim read above is the verified one
            expires_at = float(unverified["exp"])
        else:
            raise Unauthorized("The token's issuer is not trusted here")
        self._verified[token] = (principal, expires_at)
        if len(self._verified) > self._remember:
            self._verified.popitem(last=False)
        return principal
