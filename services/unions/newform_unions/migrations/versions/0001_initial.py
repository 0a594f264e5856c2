"""unions: initial

Revision ID: unions_0001
Revises:
Create Date: 2026-12-07
"""

from collections.abc import Sequence

revision: str = "unions_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
# The common tables (outbox, inbox, idempotency keys, findings, deadlines) are in libs/common's branch.
depends_on: str | Sequence[str] | None = ("common_0001",)


def upgrade() -> None:
    pass  # the service's own tables come in its next revisions


def downgrade() -> None:
    pass
