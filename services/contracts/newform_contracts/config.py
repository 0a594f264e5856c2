"""The contracts service's settings (environment variables; see ServiceSettings for the common ones)."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import Field

from newform_common.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "contracts"
    port: int = Field(8001, validation_alias="CONTRACTS_PORT")
    # Ed25519 private key (PKCS8 PEM) that seals signature evidence (M4). Deployments mount a file.
    signing_key: str = Field("", validation_alias="CONTRACTS_SIGNING_KEY")
    signing_key_file: Path | None = Field(None, validation_alias="CONTRACTS_SIGNING_KEY_FILE")
    # Where the departments' verified facts come from (verified.py; tests point it at a prefixed topic).
    departments_topic: str = Field("departments.events", validation_alias="CONTRACTS_DEPARTMENTS_TOPIC")
    # Where the unions' collective contracts come from (collective/; tests point it at a prefixed topic).
    unions_topic: str = Field("unions.events", validation_alias="CONTRACTS_UNIONS_TOPIC")

    def signing_private_key(self) -> Ed25519PrivateKey:
        pem = self.signing_key
        if not pem and self.signing_key_file is not None:
            pem = self.signing_key_file.read_text()
        if not pem:
            if self.dev_mode:
                return Ed25519PrivateKey.generate()
            raise RuntimeError(
                "no evidence signing key: set CONTRACTS_SIGNING_KEY or CONTRACTS_SIGNING_KEY_FILE "
                "(or NEWFORM_DEV=1 to generate a throw-away key)"
            )
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise RuntimeError("the evidence signing key must be an Ed25519 private key")
        return key
