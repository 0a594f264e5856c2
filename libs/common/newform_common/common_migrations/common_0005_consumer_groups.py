"""common tables: inbox rows follow the consumer groups' new names (`<service>-<source>`, `wiring`)

Consumer groups are named `<service>-<source>` since 0.3 (the registry drives the wiring). A renamed
group has no committed Kafka offsets and re-reads its topic from the start; with its inbox rows
renamed here, every event it handled under the old name is recognised and changes nothing. Each
service database holds only its own groups' rows, so one statement per old name fits all of them.

Revision ID: common_0005
Revises: common_0004
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "common_0005"
down_revision: str | None = "common_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Fixed here (not imported from `wiring`): a migration states what it did on the day it was written.
RENAMED_GROUPS = {
    "wages-engagements": "wages-contracts",
    "disputes-engagements": "disputes-contracts",
    "disputes-engagements-outcomes": "disputes-departments",
    "training-workers": "training-contracts",
    "training-places": "training-departments",
    "departments-subjects": "departments-contracts",
}
#: Contracts read departments' topic and its own in one group; its rows split by the event's producer.
SPLIT_GROUP = "contracts-verified"
SPLIT = sa.text(
    "update inbox set consumer = case when type like 'contracts.%' then 'contracts-contracts' "
    "else 'contracts-departments' end where consumer = :old"
)
RENAME = sa.text(
    "update inbox set consumer = :new where consumer = :old "
    "and not exists (select 1 from inbox i where i.consumer = :new and i.event_id = inbox.event_id)"
)


def upgrade() -> None:
    for old, new in RENAMED_GROUPS.items():
        op.get_bind().execute(RENAME, {"old": old, "new": new})
    op.get_bind().execute(SPLIT, {"old": SPLIT_GROUP})


def downgrade() -> None:
    for old, new in RENAMED_GROUPS.items():
        op.get_bind().execute(RENAME, {"old": new, "new": old})
    for new in ("contracts-contracts", "contracts-departments"):
        op.get_bind().execute(RENAME, {"old": new, "new": SPLIT_GROUP})
