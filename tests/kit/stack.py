"""What the end-to-end tests share: real services' settings on one test's prefixed topics."""

from __future__ import annotations

from newform_common.auth import generate_keypair
from newform_common.testing import TokenFactory, credit_code, migrated_database
from newform_contracts.config import Settings as ContractsSettings

from .gateway import gateway_settings

E2E_PII_SECRET = "e2e-pii-secret-of-at-least-32-bytes!"


async def contracts_settings_for(new_database, kafka, tokens: TokenFactory, prefix: str, **extra) -> ContractsSettings:
    """A migrated contracts database and settings publishing to `<prefix>-contracts.events`."""
    url = await migrated_database(new_database, "contracts")
    signing_key, _ = generate_keypair()
    return ContractsSettings(
        service_name=f"{prefix}-contracts",
        database_url=url,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        jwt_public_key=tokens.public_pem,
        signing_key=signing_key,
        pii_secret=E2E_PII_SECRET,
        relay_poll_interval_s=0.2,
        **extra,
    )


async def gateway_settings_for(new_database, kafka, tokens: TokenFactory, prefix: str):
    """A migrated gateway database and settings consuming only `<prefix>-*.events`."""
    url = await migrated_database(new_database, "gateway")
    return gateway_settings(prefix, url, kafka.bootstrap_servers, tokens.public_pem)


async def register_platform(
    contracts, tokens: TokenFactory, platform_id: str, *, district: str, occupation: str
) -> None:
    """The platform registered in contracts by the administrator (a fresh credit code), or the test fails."""
    r = await contracts.post(
        "/v1/platforms",
        headers=tokens.headers("admin"),
        json={
            "platform_id": platform_id,
            "name": f"平台{platform_id}",
            "credit_code": credit_code(),
            "district": district,
            "occupations": [occupation],
        },
    )
    assert r.status_code == 201, r.text
