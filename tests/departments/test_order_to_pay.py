"""Labour inspection's order to pay by a deadline (责令限期支付): whether it was ignored (逾期未支付), whether
the arrears caused a mass incident, and their extent — the wage-arrears list's conditions
(人力资源社会保障部令第45号 art. 5), stated by hrss and published for the gateway's listing decision."""

from __future__ import annotations

from newform_common import testing as kit


def inspection(**kw) -> dict:
    return {
        "reference": kit.unique_name("JC"),
        "employer_credit_code": kit.credit_code(),
        "matter": "arrears",
        "confirmed_amount_fen": 2_088_000,
        "inspected_on": "2026-05-10",
        "ordered_to_pay_by": "2026-05-25",
        **kw,
    }


async def test_an_ignored_order_with_its_extent_is_stored_and_published(api):
    r = await api.post(
        "/v1/inspection-results",
        "hrss",
        inspection(order_ignored=True, months_unpaid=6, workers_affected=1, observed_at="2026-06-01T09:00:00+08:00"),
    )
    assert r.status_code == 201, r.text
    fields = r.json()["fields"]
    assert (fields["order_ignored"], fields["mass_incident"], fields["months_unpaid"], fields["workers_affected"]) == (
        True,
        False,
        6,
        1,
    )


async def test_an_order_cannot_be_ignored_before_its_deadline_or_without_one(api):
    early = await api.post(
        "/v1/inspection-results", "hrss", inspection(order_ignored=True, observed_at="2026-05-20T09:00:00+08:00")
    )
    assert early.status_code == 422 and early.json()["type"].endswith("invalid-date-range")
    on_the_day = await api.post(
        "/v1/inspection-results", "hrss", inspection(order_ignored=True, observed_at="2026-05-25T18:00:00+08:00")
    )
    assert on_the_day.status_code == 422
    without = await api.post("/v1/inspection-results", "hrss", inspection(order_ignored=True, ordered_to_pay_by=None))
    assert without.status_code == 422 and without.headers["content-type"] == "application/problem+json"
    negative = await api.post("/v1/inspection-results", "hrss", inspection(months_unpaid=-1))
    assert negative.status_code == 422
