"""The measures' coverage table: docs/measures.md is written from the gateway's one data file and agrees
with it; every rule id it names is one a service declares; a measure with rules is not said to be pointed
elsewhere; the gateway serves the same table at GET /v1/measures and the page /measures in Chinese."""

from __future__ import annotations

from newform_common.findings import rule_catalogue
from newform_common.testing import TokenFactory, running_service, unique_name
from newform_common.version import repo_root
from newform_gateway.main import create_app
from newform_gateway.measures.service import coverage, markdown

from ..kit.gateway import gateway_settings, migrated_database


def test_docs_measures_md_is_the_data_file_rendered():
    assert (repo_root() / "docs" / "measures.md").read_text(encoding="utf-8") == markdown(), (
        "docs/measures.md differs from coverage.toml: run `python -m newform_gateway.measures`"
    )


def test_every_measure_once_rules_declared_and_gaps_said():
    measures = coverage()
    assert [m.id for m in measures] == [f"M{n}" for n in range(1, 21)]
    catalogue = rule_catalogue()
    for m in measures:
        assert m.where, m.id
        for rule in m.rules:
            assert rule in catalogue and rule.startswith(f"{m.id}."), (m.id, rule)
        if m.status != "implemented":
            assert m.gap_en and m.gap_zh and m.points_en and m.points_zh, m.id
    with_rules = {r.split(".")[0] for r in catalogue}
    assert not [m.id for m in measures if m.id in with_rules and m.status == "points"]
    # The ones the issue names: insurance enrolment is the province's, schooling education's.
    by_id = {m.id: m for m in measures}
    assert by_id["M12"].status == "points" and "省" in (by_id["M12"].gap_zh or "")
    assert by_id["M15"].status == "points" and "教育" in (by_id["M15"].gap_zh or "")


async def test_the_gateway_shows_the_same_table(new_database, kafka):
    tokens = TokenFactory.generate()
    prefix = unique_name("gwm").replace("_", "")
    url = await migrated_database(new_database)
    settings = gateway_settings(prefix, url, kafka.bootstrap_servers, tokens.public_pem, run_consumers=False)
    async with running_service(create_app, settings, tokens) as gw:
        api = await gw.client.get("/v1/measures", headers=gw.regulator)
        assert api.status_code == 200
        assert [m["id"] for m in api.json()] == [m.id for m in coverage()]
        assert api.json()[13]["rules"] == ["M14.station_report_overdue"]
        gw.client.cookies.set("newform_token", tokens.token("regulator", subject="inspector-1"))
        page = await gw.client.get("/measures")
        assert page.status_code == 200
        for words in ("措施实施情况", "已实现", "指向其他系统", "城市建设综合服务", "M14.station_report_overdue"):
            assert words in page.text, words
        for m in coverage():
            assert f'id="measure-{m.id}"' in page.text
