"""event log partitioned by month (issue 25): a rebuild, a retention job and a month's report touch only
their months.

Range partitions on `time`, one per calendar month in Asia/Shanghai (the months of the regulator's
reports), named `event_log_yYYYYmMM`, and a DEFAULT partition for an event whose month has none yet.
`event_log_month(t)` creates the month of `t` (moving its rows out of the default partition if any
landed there first); the appending code calls it, once per month it has not seen, before a batch
goes in (`repository.append_events`), so back-dated events (years old) get their month too. The
migration creates the months of what is logged already and those around today.

Keys. A unique constraint on a partitioned table must include the partition key, so:
- the primary key is (seq, time): `seq` stays unique by itself (its sequence gives each row a new one);
- event-id uniqueness is kept by UNIQUE (event_id, time). An event's time is part of the event (set
  once by its producer, kept in its outbox row, the same in every redelivery), so the same event is
  always the same (event_id, time) and lands in the same partition, where the index refuses it twice —
  `append_events` skips it with ON CONFLICT (event_id, time). Besides, each consumer's inbox already
  records (consumer, event_id) in the transaction that logs the event (`newform_common.inbox`), so the
  live gateway never logs a redelivered event a second time in the first place. A global index on
  event_id alone is impossible here, and a separate event-id table would cost every append a second
  insert for a case the two keys above already close.

Counting. The statement-level triggers with transition tables of 0004_read_counters stay on the
partitioned table: PostgreSQL 16 allows them on a partitioned table (not on its partitions) and their
transition tables hold the rows of every partition the statement touched. They are created again on
the new table after its rows are copied (the counters count those already).

Existing rows move: the old table is renamed, the partitioned one created with the same columns,
the same sequence and the same secondary indexes (read from the catalogue, so an index another
revision added is kept), the rows inserted, the old table dropped.

Revision ID: 0006_event_log_by_month
Revises: gw_contracts_0002
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0006_event_log_by_month"
down_revision: str | Sequence[str] | None = "gw_contracts_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "seq, event_id, type, source, service, subject, key, time, data, worker_id, platform_id, topic, partition, "
    '"offset", logged_at'
)

CREATE_TABLE = """
create table event_log (
    seq bigint not null default nextval('event_log_seq_seq'),
    event_id varchar(64) not null,
    type varchar(200) not null,
    source varchar(200) not null,
    service varchar(100) not null,
    subject varchar(200),
    key varchar(200) not null,
    time timestamptz not null,
    data jsonb not null,
    worker_id varchar(100),
    platform_id varchar(100),
    topic varchar(200),
    partition integer,
    "offset" bigint,
    logged_at timestamptz not null default now(),
    constraint event_log_pkey primary key (seq, time),
    constraint event_log_event_id_time_key unique (event_id, time)
) partition by range (time)
"""

#: The month of `t` (Asia/Shanghai) as a partition, created if missing; serialised by an advisory lock
#: so two appenders meeting a new month do not race. Rows of that month already in the default
#: partition move into it (ATTACH checks the default holds none of its range).
MONTH_FUNCTION = """
create or replace function event_log_month(t timestamptz) returns void language plpgsql as $$
declare
  first_day date := date_trunc('month', t at time zone 'Asia/Shanghai')::date;
  lo timestamptz := first_day::timestamp at time zone 'Asia/Shanghai';
  hi timestamptz := (first_day + interval '1 month')::timestamp at time zone 'Asia/Shanghai';
  name text := 'event_log_y' || to_char(first_day, 'YYYY') || 'm' || to_char(first_day, 'MM');
begin
  if to_regclass(name) is not null then
    return;
  end if;
  perform pg_advisory_xact_lock(hashtext('event_log_month'));
  if to_regclass(name) is not null then
    return;
  end if;
  if exists (select 1 from event_log_default where time >= lo and time < hi) then
    execute format('create table %I (like event_log including defaults)', name);
    execute format('with moved as (delete from event_log_default where time >= %L and time < %L returning *) '
                   'insert into %I select * from moved', lo, hi, name);
    execute format('alter table event_log attach partition %I for values from (%L) to (%L)', name, lo, hi);
  else
    execute format('create table %I partition of event_log for values from (%L) to (%L)', name, lo, hi);
  end if;
end $$
"""

TRIGGERS = (
    "create trigger count_event_log_ins after insert on event_log referencing new table as new_rows "
    "for each statement execute function count_event_log()",
    "create trigger count_event_log_upd after update on event_log referencing old table as old_rows "
    "new table as new_rows for each statement execute function count_event_log()",
    "create trigger count_event_log_del after delete on event_log referencing old table as old_rows "
    "for each statement execute function count_event_log()",
)


def _secondary_indexes() -> list[tuple[str, str]]:
    rows = op.get_bind().execute(
        text(
            "select indexrelid::regclass::text, pg_get_indexdef(indexrelid) from pg_index "
            "where indrelid = 'event_log'::regclass and not indisunique and not indisprimary order by 1"
        )
    )
    return [(name, definition.replace(" ON ONLY ", " ON ")) for name, definition in rows]


def upgrade() -> None:
    indexes = _secondary_indexes()
    for name, _ in indexes:
        op.execute(f"drop index {name}")
    op.execute("alter table event_log rename to event_log_unpartitioned")
    op.execute("alter table event_log_unpartitioned rename constraint event_log_pkey to event_log_unpartitioned_pkey")
    op.execute(
        "alter table event_log_unpartitioned rename constraint event_log_event_id_key to event_log_unpartitioned_key"
    )
    op.execute("alter sequence event_log_seq_seq owned by none")
    op.execute(CREATE_TABLE)
    op.execute("create table event_log_default partition of event_log default")
    op.execute(MONTH_FUNCTION)
    # the months already logged, and those from a year back to three months ahead
    op.execute(
        "select event_log_month(m) from (select distinct date_trunc('month', time at time zone 'Asia/Shanghai') "
        "at time zone 'Asia/Shanghai' as m from event_log_unpartitioned "
        "union select generate_series(now() - interval '12 months', now() + interval '3 months', interval '1 month')) x"
    )
    op.execute(f"insert into event_log ({COLUMNS}) select {COLUMNS} from event_log_unpartitioned")
    op.execute("drop table event_log_unpartitioned")
    op.execute("alter sequence event_log_seq_seq owned by event_log.seq")
    for _, definition in indexes:
        op.execute(definition)
    for trigger in TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    indexes = _secondary_indexes()
    op.execute("alter table event_log rename to event_log_partitioned")
    op.execute("alter table event_log_partitioned rename constraint event_log_pkey to event_log_partitioned_pkey")
    op.execute(
        "alter table event_log_partitioned rename constraint event_log_event_id_time_key to event_log_partitioned_key"
    )
    for name, _ in indexes:
        op.execute(f"drop index {name}")
    op.execute("alter sequence event_log_seq_seq owned by none")
    op.execute(
        CREATE_TABLE.replace("constraint event_log_pkey primary key (seq, time)", "primary key (seq)")
        .replace("constraint event_log_event_id_time_key unique (event_id, time)", "unique (event_id)")
        .replace(") partition by range (time)", ")")
    )
    op.execute(f"insert into event_log ({COLUMNS}) select {COLUMNS} from event_log_partitioned")
    op.execute("drop table event_log_partitioned cascade")
    op.execute("drop function event_log_month(timestamptz)")
    op.execute("alter sequence event_log_seq_seq owned by event_log.seq")
    for _, definition in indexes:
        op.execute(definition)
    for trigger in TRIGGERS:
        op.execute(trigger)
