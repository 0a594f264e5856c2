"""wages: initial

Revision ID: wages_0001
Revises:
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "wages_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
# The common tables (outbox, inbox, idempotency keys, findings, deadlines) are in libs/common's branch.
depends_on: str | Sequence[str] | None = ("common_0001",)

TABLES = """
-- A local copy of contracts' engagements, fed by contracts.events (never a call on the write path).
create table engagements (
    contract_id varchar(64) primary key,
    worker_id varchar(64) not null,
    platform_id varchar(64) not null,
    enterprise_id varchar(64) not null,
    engagement_type varchar(32) not null,
    part_time boolean not null,
    occupation varchar(32) not null,
    district varchar(32) not null,
    start_date date not null,
    end_date date,
    pay_period varchar(8) not null,
    status varchar(16) not null,
    updated_at timestamptz not null
);
create index ix_engagements_worker on engagements (worker_id);
create index ix_engagements_platform on engagements (platform_id, status);

-- A batch upload (statements or sessions): counts, status and each bad line's error.
create table batches (
    id varchar(40) primary key,
    platform_id varchar(64) not null,
    kind varchar(16) not null,
    format varchar(8) not null,
    status varchar(16) not null,
    line_count integer not null,
    accepted integer not null,
    duplicates integer not null,
    rejected integer not null,
    pending integer not null,
    findings integer not null,
    errors jsonb not null,
    created_at timestamptz not null,
    completed_at timestamptz
);
create index ix_batches_platform on batches (platform_id, id);

-- Pay statements (工资支付记录), one per worker per pay period, money in fen, hours in minutes.
create table statements (
    id varchar(40) primary key,
    platform_id varchar(64) not null,
    line_id varchar(100) not null,
    batch_id varchar(40),
    contract_id varchar(64) not null,
    worker_id varchar(64) not null,
    period_start date not null,
    period_end date not null,
    due_date date not null,
    gross_fen bigint not null,
    base_fen bigint not null,
    piece_fen bigint not null,
    piece_orders integer not null,
    overtime_fen bigint not null,
    rest_day_fen bigint not null,
    holiday_fen bigint not null,
    allowances_fen bigint not null,
    deductions jsonb not null,
    deductions_fen bigint not null,
    normal_minutes integer not null,
    overtime_minutes integer not null,
    rest_day_minutes integer not null,
    holiday_minutes integer not null,
    night_minutes integer not null,
    premium_days jsonb not null,
    paid_fen bigint not null,
    paid_on date,
    payment_method varchar(16) not null,
    status varchar(16) not null,
    received_at timestamptz not null,
    constraint uq_statements_line unique (platform_id, line_id)
);
create index ix_statements_worker on statements (worker_id, period_start);
create index ix_statements_contract on statements (contract_id, period_start);
create index ix_statements_pending on statements (contract_id) where status = 'pending';

-- Work sessions: online time per worker per platform (working time per the 2024 guideline).
create table work_sessions (
    id varchar(40) primary key,
    platform_id varchar(64) not null,
    line_id varchar(100) not null,
    batch_id varchar(40),
    worker_id varchar(64) not null,
    contract_id varchar(64),
    post varchar(64),
    started_at timestamptz not null,
    ended_at timestamptz not null,
    work_date date not null,
    working_minutes integer not null,
    order_minutes integer not null,
    orders_completed integer not null,
    received_at timestamptz not null,
    constraint uq_work_sessions_line unique (platform_id, line_id)
);
create index ix_work_sessions_worker_day on work_sessions (worker_id, work_date);
create index ix_work_sessions_platform_worker on work_sessions (platform_id, worker_id, started_at);
create index ix_work_sessions_post_day on work_sessions (platform_id, post, work_date);

-- Labour quotas (劳动定额) a platform declares per post.
create table quotas (
    id varchar(40) primary key,
    platform_id varchar(64) not null,
    post varchar(64) not null,
    orders_per_day integer not null,
    effective_from date not null,
    declared_at timestamptz not null,
    constraint uq_quotas unique (platform_id, post, effective_from)
);

-- Related units (关联单位) that pay their own staff, and whether the platform is entrusted to pay.
create table related_units (
    id varchar(40) primary key,
    platform_id varchar(64) not null,
    enterprise_id varchar(64) not null,
    name varchar(200) not null,
    credit_code varchar(18) not null,
    kind varchar(32) not null,
    platform_entrusted_to_pay boolean not null,
    registered_at timestamptz not null,
    constraint uq_related_units unique (platform_id, enterprise_id)
);

-- A rule judged once per subject (cross-statement, cross-session rules): a resent fact raises nothing new.
create table judgements (
    rule varchar(100) not null,
    subject_id varchar(120) not null,
    platform_id varchar(64) not null,
    finding_id varchar(64),
    judged_at timestamptz not null,
    primary key (rule, subject_id, platform_id)
);

-- A worker's report of unpaid or short pay, reconciled against the platform's statements.
create table pay_reports (
    id varchar(40) primary key,
    worker_id varchar(64) not null,
    platform_id varchar(64) not null,
    period_start date not null,
    period_end date not null,
    expected_fen bigint not null,
    received_fen bigint not null,
    received_on date,
    note varchar(500),
    outcome varchar(32) not null,
    differences jsonb not null,
    finding_id varchar(64),
    reported_at timestamptz not null
);
create index ix_pay_reports_worker on pay_reports (worker_id, id);
"""


def upgrade() -> None:
    for statement in TABLES.split(";"):
        if statement.strip():
            op.execute(statement)


def downgrade() -> None:
    for table in (
        "pay_reports",
        "judgements",
        "related_units",
        "quotas",
        "work_sessions",
        "statements",
        "batches",
        "engagements",
    ):
        op.execute(f"drop table {table}")
