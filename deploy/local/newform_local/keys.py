"""The development keys of a data folder (`.data/keys/` by default), generated once: the token signing
pair, the evidence seal, the credit-export key, the PII secret, the gateway's clients file and the
database password; and tokens minted with them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from newform_common.auth import generate_keypair, mint_token


@dataclass
class Keys:
    """Development keys, generated once per data folder."""

    folder: Path

    @property
    def token_private(self) -> Path:
        return self.folder / "token-signing.pem"

    @property
    def token_public(self) -> Path:
        return self.folder / "token-verifying.pem"

    @property
    def seal_private(self) -> Path:
        return self.folder / "evidence-seal.pem"

    @property
    def credit_export_private(self) -> Path:
        """The gateway's key that signs the daily credit-information export (M19)."""
        return self.folder / "credit-export-signing.pem"

    @property
    def pii_secret(self) -> Path:
        return self.folder / "pii-secret"

    @property
    def clients(self) -> Path:
        return self.folder / "clients.toml"

    @property
    def database_password(self) -> Path:
        return self.folder / "database-password"

    def ensure(self) -> Keys:
        self.folder.mkdir(parents=True, exist_ok=True)
        if not self.token_private.exists():
            private, public = generate_keypair()
            write_secret(self.token_private, private)
            self.token_public.write_text(public)
        if not self.seal_private.exists():
            write_secret(self.seal_private, generate_keypair()[0])
        if not self.credit_export_private.exists():
            write_secret(self.credit_export_private, generate_keypair()[0])
        if not self.pii_secret.exists():
            write_secret(self.pii_secret, secrets.token_urlsafe(48))
        # For deployments from these keys (deploy/compose): the gateway's registered clients
        # (`newform gateway client add`) and the database password.
        if not self.clients.exists():
            write_secret(self.clients, "# newform gateway client add --client-id … --role …\n")
        if not self.database_password.exists():
            write_secret(self.database_password, secrets.token_urlsafe(24))
        return self

    def mint(self, role: str, **scope) -> str:
        subject = scope.pop("subject", None) or f"dev-{role}"
        return mint_token(self.token_private.read_text(), role=role, subject=subject, **scope)


def write_secret(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o600)
