"""The regulator's alert list filtered as the regulator filters it — department, district, the month an alert
was raised (Asia/Shanghai), measure, status, platform — a page at a time by keyset, in the API and on the
`/alerts` page."""

from __future__ import annotations

import asyncpg

from newform_common.testing import TokenFactory, running_service, unique_name
from newform_gateway.main import create_app

from ..kit.gateway import gateway_settings, migrated_database

# (alert id, district, measure, status, raised at (UTC), departments routed to)
ALERTS = [
    # 2026-05-01 00:30 in Xining: May, though still April 30 in UTC
    ("a_may_first", "chengxi", "M6", "open", "2026-04-30T16:30:00Z", ["hrss", "county:chengxi"]),
    # 2026-04-30 23:59 in Xining: April
    ("a_april_last", "chengxi", "M6", "open", "2026-04-30T15:59:00Z", ["hrss", "county:chengxi"]),
    ("a_may_datong", "datong", "M6", "open", "2026-05-10T02:00:00Z", ["hrss", "county:datong"]),
    ("a_may_market", "chengxi", "M9", "resolved", "2026-05-20T02:00:00Z", ["market", "county:chengxi"]),
    ("a_june", "chengxi", "M6", "acknowledged", "2026-06-01T02:00:00Z", ["hrss", "county:chengxi"]),
] + [
    (f"a_may_{i:02d}", "chengxi", "M6", "open", f"2026-05-{2 + i:02d}T03:00:00Z", ["hrss", "county:chengxi"])
    for i in range(7)
]


async def seed(url: str, alerts=ALERTS) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        for alert_id, district, measure, status, raised, departments in alerts:
            await conn.execute(
                """
                insert into alerts (alert_id, source_service, measure, rule, severity, summary, subject_type,
                    subject_id, platform_id, district, departments, status, occurrences, evidence,
                    first_observed_at, last_observed_at, raised_at, due_at)
                values ($1, 'wages', $2::text, $2::text || '.rule', 'high', '拖欠工资', 'statement', $1, 'p_1', $3,
                    to_jsonb($4::text[]), $5, 1, '[]', $6::text::timestamptz, $6::text::timestamptz,
                    $6::text::timestamptz, $6::text::timestamptz + interval '30 days')""",
                alert_id,
                measure,
                district,
                departments,
                status,
                raised,
            )
            await conn.executemany(
                "insert into alert_routes (alert_id, department) values ($1, $2)", [(alert_id, d) for d in departments]
            )
    finally:
        await conn.close()


async def every_page(client, headers, **params) -> list[str]:
    """Every alert id the list answers, following `next_cursor` two at a time."""
    ids: list[str] = []
    cursor = None
    while True:
        query = {**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
        body = (await client.get("/v1/alerts", headers=headers, params=query)).json()
        ids += [a["alert_id"] for a in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids


async def test_alerts_by_district_and_month_of_raising_in_xining_newest_first_a_page_at_a_time(new_database, kafka):
    tokens = TokenFactory.generate()
    url = await migrated_database(new_database)
    await seed(url)
    settings = gateway_settings(
        unique_name("gwal").replace("_", ""), url, kafka.bootstrap_servers, tokens.public_pem, run_consumers=False
    )
    async with running_service(create_app, settings, tokens) as gw:
        may_chengxi = await every_page(gw.client, gw.regulator, district="chengxi", month="2026-05")
        assert may_chengxi == ["a_may_market", *(f"a_may_{i:02d}" for i in reversed(range(7))), "a_may_first"]
        assert await every_page(gw.client, gw.regulator, month="2026-04") == ["a_april_last"]
        # the filters combine: May, chengxi, M6, open, routed to hrss
        assert await every_page(
            gw.client, gw.regulator, month="2026-05", district="chengxi", measure="M6", status="open", department="hrss"
        ) == [*(f"a_may_{i:02d}" for i in reversed(range(7))), "a_may_first"]
        # a district's government sees its own alerts only, whatever district it asks for
        datong = gw.department("county", district="datong")
        assert await every_page(gw.client, datong, month="2026-05") == ["a_may_datong"]
        assert await every_page(gw.client, datong, district="chengxi") == []
        for bad in ({"month": "2026-13"}, {"month": "2026-5"}, {"district": "x" * 41}):
            answer = await gw.client.get("/v1/alerts", headers=gw.regulator, params=bad)
            assert answer.status_code == 422, bad

        gw.client.cookies.set("newform_token", tokens.token("regulator", subject="inspector-1"))
        page = await gw.client.get("/alerts", params={"district": "datong", "month": "2026-05"})
        assert page.status_code == 200
        for words in ("区县", "预警月份", "措施", "仅看逾期", 'value="2026-05"', "大通"):
            assert words in page.text, words
        assert 'data-alert-id="a_may_datong"' in page.text
        assert 'data-alert-id="a_may_first"' not in page.text


async def test_the_alerts_page_pages_by_cursor(new_database, kafka):
    tokens = TokenFactory.generate()
    url = await migrated_database(new_database)
    many = [
        (f"a_{i:03d}", "chengxi", "M6", "open", f"2026-05-01T{i // 60:02d}:{i % 60:02d}:00Z", ["hrss"])
        for i in range(130)
    ]
    await seed(url, many)
    settings = gateway_settings(
        unique_name("gwap").replace("_", ""), url, kafka.bootstrap_servers, tokens.public_pem, run_consumers=False
    )
    async with running_service(create_app, settings, tokens) as gw:
        gw.client.cookies.set("newform_token", tokens.token("regulator", subject="inspector-1"))
        first = await gw.client.get("/alerts", params={"district": "chengxi"})
        assert first.text.count('class="alert-row') == 100
        assert 'data-alert-id="a_129"' in first.text and 'data-alert-id="a_029"' not in first.text
        link = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
        assert "district=chengxi" in link
        second = await gw.client.get(link)
        assert second.text.count('class="alert-row') == 30
        assert 'data-alert-id="a_029"' in second.text and 'data-alert-id="a_000"' in second.text
        assert 'rel="next"' not in second.text


async def every_linked_page(client, path: str, headers, limit: int) -> list[dict]:
    """Every item of a list answered as a JSON array, following its `Link: <…>; rel="next"` header."""
    items: list[dict] = []
    url: str | None = f"{path}?limit={limit}"
    while url:
        answer = await client.get(url, headers=headers)
        assert answer.status_code == 200
        assert len(answer.json()) == limit or "link" not in answer.headers
        items += answer.json()
        link = answer.headers.get("link")
        url = link.split(">", 1)[0].lstrip("<") if link else None
        assert link is None or link.endswith('; rel="next"')
    return items


async def test_escalations_and_legal_aid_requests_page_by_link_header(new_database, kafka):
    tokens = TokenFactory.generate()
    url = await migrated_database(new_database)
    escalated = [
        (f"a_esc_{i}", "chengxi", "M20", "open", f"2026-05-0{1 + i}T03:00:00Z", ["hrss", "county:chengxi"])
        for i in range(5)
    ]
    await seed(url, escalated)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute("update alerts set rule = 'M20.complaint_escalated'")
        await conn.execute(
            "insert into dispute_legal_aid (case_id, platform_id, category, district, requested_at) "
            "select 'case_' || i, 'p_1', 'pay', 'chengxi', timestamptz '2026-05-01 10:00+08' + i * interval '1 hour' "
            "from generate_series(1, 5) i"
        )
    finally:
        await conn.close()
    settings = gateway_settings(
        unique_name("gwes").replace("_", ""), url, kafka.bootstrap_servers, tokens.public_pem, run_consumers=False
    )
    async with running_service(create_app, settings, tokens) as gw:
        hrss = gw.department("hrss")
        first = await gw.client.get("/v1/disputes/escalations", headers=hrss, params={"limit": 2})
        assert len(first.json()) == 2 and first.headers["link"].endswith('; rel="next"')
        paged = await every_linked_page(gw.client, "/v1/disputes/escalations", hrss, 2)
        assert [a["alert_id"] for a in paged] == [f"a_esc_{i}" for i in reversed(range(5))]
        whole = await gw.client.get("/v1/disputes/escalations", headers=hrss)
        assert [a["alert_id"] for a in whole.json()] == [a["alert_id"] for a in paged] and "link" not in whole.headers
        justice = gw.department("justice")
        requests = await every_linked_page(gw.client, "/v1/disputes/legal-aid", justice, 2)
        assert [r["case_id"] for r in requests] == [f"case_{i}" for i in range(5, 0, -1)]
