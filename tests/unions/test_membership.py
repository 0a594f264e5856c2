"""Online membership (M17): join, refuse, transfer, the one-membership rule (enforced by the database),
what a worker and a platform see, and coverage per platform."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from newform_common.testing import execute, fetch

from .helpers import platform, registered, union, worker


async def test_a_worker_joins_the_union_of_their_platform_and_the_platform_sees_only_counts(unions):
    api = unions.api
    pid, wid = platform(), worker()
    uid = await union(api, [pid])
    body = {"union_id": uid, "platform_id": pid}

    refused = await api.client.post("/v1/memberships", headers=api.as_worker(wid), json=body)
    assert refused.status_code == 422 and refused.json()["rule"] == "M17.not_registered_with_platform"

    await registered(unions, wid, pid)
    applied = await api.client.post("/v1/memberships", headers=api.as_worker(wid), json=body)
    assert applied.status_code == 201, applied.text
    membership = applied.json()
    assert membership["status"] == "applied" and membership["worker_id"] == wid
    again = await api.client.post("/v1/memberships", headers=api.as_worker(wid), json=body)
    assert again.status_code == 409

    accepted = await api.client.post(
        f"/v1/memberships/{membership['membership_id']}/decision",
        headers=api.department("union"),
        json={"decision": "accept"},
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "active", accepted.text

    mine = await api.client.get("/v1/memberships", headers=api.as_worker(wid))
    assert [m["membership_id"] for m in mine.json()["items"]] == [membership["membership_id"]]
    other = await api.client.get("/v1/memberships", headers=api.as_worker(worker()))
    assert other.json()["items"] == []

    as_platform = api.as_platform(pid)
    assert (await api.client.get("/v1/memberships", headers=as_platform)).json()["items"] == []
    one = await api.client.get(f"/v1/memberships/{membership['membership_id']}", headers=as_platform)
    assert one.status_code == 404
    by_district = await api.client.get("/v1/coverage/districts", headers=api.regulator)
    assert by_district.status_code == 200 and by_district.json()[0]["members"] >= 1
    assert (await api.client.get("/v1/coverage/districts", headers=as_platform)).status_code == 403
    coverage = await api.client.get("/v1/coverage", headers=as_platform)
    assert coverage.status_code == 200
    assert coverage.json() == [{"platform_id": pid, "members": 1, "registered_workers": 1, "coverage_percent": 100}]


async def test_the_union_refuses_with_a_reason_and_a_union_not_covering_the_platform_is_refused(unions):
    api = unions.api
    pid, wid = platform(), worker()
    uid, elsewhere = await union(api, [pid]), await union(api, [platform()])
    await registered(unions, wid, pid)

    wrong = await api.client.post(
        "/v1/memberships", headers=api.as_worker(wid), json={"union_id": elsewhere, "platform_id": pid}
    )
    assert wrong.status_code == 422 and wrong.json()["rule"] == "M17.union_does_not_cover"

    applied = await api.client.post(
        "/v1/memberships", headers=api.as_worker(wid), json={"union_id": uid, "platform_id": pid}
    )
    mid = applied.json()["membership_id"]
    no_reason = await api.client.post(
        f"/v1/memberships/{mid}/decision", headers=api.department("union"), json={"decision": "refuse"}
    )
    assert no_reason.status_code == 422
    not_union = await api.client.post(
        f"/v1/memberships/{mid}/decision", headers=api.department("hrss"), json={"decision": "accept"}
    )
    assert not_union.status_code == 403
    refused = await api.client.post(
        f"/v1/memberships/{mid}/decision",
        headers=api.department("union"),
        json={"decision": "refuse", "reason": "申请材料不完整"},
    )
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    assert refused.json()["reason"] == "申请材料不完整"
    twice = await api.client.post(
        f"/v1/memberships/{mid}/decision", headers=api.department("union"), json={"decision": "accept"}
    )
    assert twice.status_code == 409 and twice.json()["status_from"] == "refused"


async def test_a_worker_who_changes_platform_transfers_and_holds_one_membership_at_a_time(unions):
    api = unions.api
    first, second, wid = platform(), platform(), worker()
    union_a, union_b = await union(api, [first]), await union(api, [second])
    await registered(unions, wid, first)
    await registered(unions, wid, second)
    a = await api.client.post(
        "/v1/memberships", headers=api.as_worker(wid), json={"union_id": union_a, "platform_id": first}
    )
    a_id = a.json()["membership_id"]
    await api.client.post(
        f"/v1/memberships/{a_id}/decision", headers=api.department("union"), json={"decision": "accept"}
    )

    b = await api.client.post(
        "/v1/memberships", headers=api.as_worker(wid), json={"union_id": union_b, "platform_id": second}
    )
    assert b.status_code == 201 and b.json()["transfer_from"] == a_id, b.text
    b_id = b.json()["membership_id"]
    moved = await api.client.post(
        f"/v1/memberships/{b_id}/decision", headers=api.department("union"), json={"decision": "accept"}
    )
    assert moved.status_code == 200 and moved.json()["status"] == "active"
    old = await api.client.get(f"/v1/memberships/{a_id}", headers=api.as_worker(wid))
    assert old.json()["status"] == "transferred" and old.json()["ended_on"] is not None

    rows = await fetch(api.url, "select status from memberships where worker_id = :w order by applied_at", w=wid)
    assert [r["status"] for r in rows] == ["transferred", "active"]
    # The database, not only the code, refuses a second active membership of one person.
    with pytest.raises(IntegrityError):
        await execute(
            api.url,
            "insert into memberships (id, union_id, worker_id, status, applied_at) "
            "values ('mem_dup', :u, :w, 'active', now())",
            u=union_a,
            w=wid,
        )


async def test_a_district_union_takes_a_worker_of_its_district_and_a_member_may_leave(unions):
    api = unions.api
    wid = worker()
    uid = await union(api, [], kind="district", districts=["chengxi"])
    elsewhere = await api.client.post(
        "/v1/memberships", headers=api.as_worker(wid), json={"union_id": uid, "district": "datong"}
    )
    assert elsewhere.status_code == 422 and elsewhere.json()["rule"] == "M17.union_does_not_cover"
    applied = await api.client.post(
        "/v1/memberships", headers=api.as_worker(wid), json={"union_id": uid, "district": "chengxi"}
    )
    assert applied.status_code == 201, applied.text
    mid = applied.json()["membership_id"]
    await api.client.post(
        f"/v1/memberships/{mid}/decision", headers=api.department("union"), json={"decision": "accept"}
    )
    someone_else = await api.client.post(f"/v1/memberships/{mid}/leave", headers=api.as_worker(worker()))
    assert someone_else.status_code == 404
    left = await api.client.post(f"/v1/memberships/{mid}/leave", headers=api.as_worker(wid))
    assert left.status_code == 200 and left.json()["status"] == "left" and left.json()["ended_on"] is not None
