"""Registrations and contracts straight from the event log, one statement each (`__init__.py` says what
they equal). "Last" is by (event time, seq): the order the rebuild streams the other types in."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from newform_common.db import driver_connection

REGISTERED = "contracts.worker.registered.v1"
DRAFTED = "contracts.contract.drafted.v1"
#: A transition's type names the status it moves to (`projection.TRANSITIONS`: sent, signed, …).
MOVES = tuple(f"contracts.contract.{s}.v1" for s in ("sent", "signed", "terminated", "expired", "discarded"))
_MOVES = ", ".join(f"'{t}'" for t in MOVES)

_REGISTRATIONS = f"""
insert into worker_registrations (registration_id, worker_id, platform_id, occupation, residence_district,
                                  household_registration_region, registered_at, active)
select distinct on (data->>'registration_id') data->>'registration_id', data->>'worker_id', data->>'platform_id',
       data->>'occupation', data->>'residence_district', data->>'household_registration_region',
       (data->>'registered_at')::timestamptz, true
from event_log where type = '{REGISTERED}'
order by data->>'registration_id', time desc, seq desc
"""

# A contract's row: its last draft (every column, status draft), then the transitions after that draft —
# the last one's status and time, the last signature's document (a later move keeps it: the projection's
# keep_when_null). A contract never drafted here: the first transition's identity columns (`_moved`).
_CONTRACTS = f"""
with drafts as materialized (
    select distinct on (data->>'contract_id') data->>'contract_id' as contract_id, time, seq, data
    from event_log where type = '{DRAFTED}' order by data->>'contract_id', time desc, seq desc
), moves as materialized (
    select m.time, m.seq, split_part(m.type, '.', 3) as status, m.data->>'contract_id' as contract_id, m.data,
           d.contract_id is not null as drafted
    from event_log m left join drafts d on d.contract_id = m.data->>'contract_id'
    where m.type in ({_MOVES}) and (d.contract_id is null or (m.time, m.seq) > (d.time, d.seq))
), last_move as (
    select distinct on (contract_id) contract_id, status, (data->>'at')::timestamptz as at
    from moves order by contract_id, time desc, seq desc
), last_document as (
    select distinct on (contract_id) contract_id, data->>'document_sha256' as sha
    from moves where status = 'signed' order by contract_id, time desc, seq desc
), first_move as (
    select distinct on (contract_id) contract_id, data from moves where not drafted order by contract_id, time, seq
)
insert into contracts (contract_id, worker_id, platform_id, enterprise_id, engagement_type, part_time, occupation,
                       district, start_date, end_date, pay_period, insurance, status, drafted_at, status_at,
                       document_sha256)
select d.contract_id, d.data->>'worker_id', d.data->>'platform_id', d.data->>'enterprise_id',
       d.data->>'engagement_type', (d.data->>'part_time')::boolean, d.data->>'occupation', d.data->>'district',
       (d.data->>'start_date')::date, (d.data->>'end_date')::date, d.data->>'pay_period',
       jsonb_build_object('work_injury', (d.data->'insurance'->>'work_injury')::boolean,
                          'occupational_injury', (d.data->'insurance'->>'occupational_injury')::boolean,
                          'accident', (d.data->'insurance'->>'accident')::boolean),
       coalesce(m.status, 'draft'), (d.data->>'drafted_at')::timestamptz,
       coalesce(m.at, (d.data->>'drafted_at')::timestamptz), s.sha
from drafts d left join last_move m using (contract_id) left join last_document s using (contract_id)
union all
select f.contract_id, f.data->>'worker_id', f.data->>'platform_id', f.data->>'enterprise_id',
       f.data->>'engagement_type', null, null, null, null, null, null, '{{}}'::jsonb, m.status, null, m.at, s.sha
from first_move f join last_move m using (contract_id) left join last_document s using (contract_id)
"""


def _count(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1])


async def project_registrations_and_contracts(session: AsyncSession) -> int:
    """Returns the rows written."""
    conn = await driver_connection(session)
    return _count(await conn.execute(_REGISTRATIONS)) + _count(await conn.execute(_CONTRACTS))
