"""Pure functions: routing against the catalogue's table, scorecards, webhook signing, credit rules."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import date

from newform_common.auth import Principal, Role
from newform_gateway.alerts import routing
from newform_gateway.config import DEFAULT_CREDIT_RULES, Settings
from newform_gateway.credit.rules import CreditRules
from newform_gateway.platforms import scorecards
from newform_gateway.webhooks.deliverer import backoff
from newform_gateway.webhooks.signing import sign

ON = date(2024, 6, 1)


def test_routing_follows_the_catalogue_table_plus_sector_and_district():
    # M8 (safety): hrss, emergency, health, police, union, transport, market, postal, culture, county;
    # a ride-hailing driver adds transport (listed already); the district is huangzhong.
    assert set(routing.departments_for("M8", occupation="ride_hailing", district="huangzhong", on=ON)) == {
        "hrss",
        "emergency",
        "health",
        "police",
        "union",
        "transport",
        "market",
        "postal",
        "culture",
        "county:huangzhong",
    }
    # M12 (social-insurance services): hrss, tax, county — and a courier's sector regulator, postal.
    assert set(routing.departments_for("M12", occupation="courier", district="chengbei", on=ON)) == {
        "hrss",
        "tax",
        "postal",
        "county:chengbei",
    }
    # M18 (disputes): court, hrss, justice, county; internet marketers add culture and market.
    assert routing.departments_for("M18", occupation="internet_marketer", district="datong", on=ON) == [
        "court",
        "hrss",
        "justice",
        "county:datong",
        "culture",
        "market",
    ]


def test_routing_without_a_district_never_keeps_a_bare_county_that_nobody_receives():
    assert routing.departments_for("M14", occupation=None, district=None, on=ON) == [
        "drc",
        "housing",
        "construction",
        "transport",
        "urban",
    ]
    assert routing.departments_for("M15", occupation="not_an_occupation", district=None, on=ON) == [
        "culture",
        "education",
        "sports",
    ]
    # A platform's declared occupations add their sector regulators.
    assert routing.departments_for("M12", occupations=["courier", "ride_hailing"], district="datong", on=ON) == [
        "hrss",
        "tax",
        "county:datong",
        "postal",
        "transport",
    ]


def test_m16_routes_to_the_17_city_departments_item_16_names():
    assert routing.departments_for("M16", occupation="courier", district="chengxi", on=ON) == [
        "hrss",
        "union",
        "court",
        "drc",
        "police",
        "medins",
        "health",
        "emergency",
        "sports",
        "housing",
        "construction",
        "tax",
        "education",
        "transport",
        "market",
        "postal",
        "culture",
    ]


def test_the_lead_department_is_the_first_unit_the_policy_lists():
    assert {
        m: routing.lead_department(m, district="chengxi", on=ON)
        for m in ("M1", "M3", "M6", "M10", "M14", "M15", "M18", "M19")
    } == {
        "M1": "hrss",
        "M3": "hrss",
        "M6": "hrss",
        "M10": "union",
        "M14": "drc",
        "M15": "culture",
        "M18": "court",
        "M19": "drc",
    }


def test_a_fact_outside_every_policy_version_is_still_routed_under_the_nearest():
    assert "county:chengxi" in routing.departments_for("M1", occupation=None, district="chengxi", on=date(2030, 1, 1))


def test_department_keys_of_tokens():
    assert routing.department_key(Principal(subject="a", role=Role.department, department="hrss")) == "hrss"
    assert (
        routing.department_key(Principal(subject="a", role=Role.department, department="county", district="datong"))
        == "county:datong"
    )
    assert routing.department_key(Principal(subject="a", role=Role.department, department="county")) is None


def numbers(**kw) -> scorecards.PlatformNumbers:
    return scorecards.PlatformNumbers(platform_id="p", services_seen={"contracts"}, **kw)


def test_scorecard_says_no_data_where_no_service_feeds_a_principle():
    card = scorecards.scorecard(numbers(active_registrations=10, workers_with_signed_contract=10))
    by = {p["principle"]: p for p in card["principles"]}
    assert by["pay"]["status"] == "no_data" and by["pay"]["score"] is None and "wages" in by["pay"]["reason"]
    assert by["conditions"]["status"] == "no_data"
    assert by["management"]["status"] == "no_data" and "disputes" in by["management"]["reason"]
    assert by["representation"]["status"] == "no_data"  # no rule notices published yet
    assert by["contracts"]["score"] == 2
    assert card["total"] == 2 and card["max_total"] == 2


def test_contract_points_follow_coverage_and_open_alerts():
    def contracts(**kw):
        return scorecards.score_principle(scorecards.PRINCIPLES[2], numbers(**kw))

    assert contracts(active_registrations=10, workers_with_signed_contract=9)["score"] == 2
    assert contracts(active_registrations=10, workers_with_signed_contract=6)["score"] == 1
    assert contracts(active_registrations=10, workers_with_signed_contract=4)["score"] == 0
    low = contracts(active_registrations=10, workers_with_signed_contract=10, open_alerts=[("a1", "M1", "low")])
    assert low["score"] == 1 and low["points"][1]["evidence"]["open_alerts"] == ["a1"]
    high = contracts(active_registrations=10, workers_with_signed_contract=10, open_alerts=[("a2", "M3", "high")])
    assert high["score"] == 0 and high["points"][0]["evidence"]["open_high_severity_alerts"] == ["a2"]
    unrelated = contracts(active_registrations=10, workers_with_signed_contract=10, open_alerts=[("a3", "M9", "high")])
    assert unrelated["score"] == 2


def test_representation_scores_consultation_of_rule_notices():
    rep = scorecards.PRINCIPLES[4]
    assert scorecards.score_principle(rep, numbers(rule_notices=2, consulted_notices=2))["score"] == 2
    assert scorecards.score_principle(rep, numbers(rule_notices=2, consulted_notices=1))["score"] == 1
    assert scorecards.score_principle(rep, numbers(rule_notices=3, consulted_notices=1))["score"] == 0


def test_representation_shows_the_platforms_union_coverage_beside_a_score_it_does_not_change():
    rep = scorecards.PRINCIPLES[4]
    # 5 registrations (the counter), 3 people registered with the platform now, 2 of them members of any
    # union: 2 × 100 // 3 = 66 — the platform's row of union coverage, never members ÷ registrations
    union = dict(
        union_members=2, union_registered_workers=3, union_coverage_percent=66, collective_contracts_in_force=1
    )
    column = scorecards.score_principle(
        rep, numbers(active_registrations=5, rule_notices=2, consulted_notices=1, **union)
    )
    assert column["unions"] == {
        "members": 2,
        "registered_workers": 3,
        "coverage_percent": 66,
        "collective_contracts_in_force": 1,
    }
    # the score is the consulted notices' (1 of 2: basic only), with or without union members
    assert column["score"] == 1
    assert scorecards.score_principle(rep, numbers(rule_notices=2, consulted_notices=1))["score"] == 1
    # before the unions service is heard from: no union figures; nobody registered: no percent
    assert scorecards.score_principle(rep, numbers(rule_notices=2, consulted_notices=1))["unions"] is None
    empty = dict(union_members=0, union_registered_workers=0, union_coverage_percent=None)
    assert scorecards.score_principle(rep, numbers(**empty))["unions"]["coverage_percent"] is None


def test_pay_is_scored_once_wages_reports_judged_statements():
    pay = scorecards.PRINCIPLES[0]
    n = scorecards.PlatformNumbers(
        platform_id="p",
        services_seen={"contracts", "wages"},
        open_alerts=[("a", "M6", "medium")],
        wage_statements_judged=10,
        wage_statements_compliant=10,
    )
    assert scorecards.score_principle(pay, n)["score"] == 1
    n.open_alerts = []
    assert scorecards.score_principle(pay, n)["score"] == 2
    n.wage_statements_compliant = 9  # 90 %: basic (policy data), not good
    assert scorecards.score_principle(pay, n)["score"] == 1
    n.wage_statements_compliant = 8
    assert scorecards.score_principle(pay, n)["score"] == 0
    n.wage_statements_judged = n.wage_statements_compliant = 0
    assert scorecards.score_principle(pay, n)["status"] == "no_data"


def test_webhook_signature_and_backoff():
    body = b'{"alert_id":"alr_1"}'
    expected = hmac.new(b"s3cret-of-16-chars", b"dlv_1.1700000000." + body, hashlib.sha256).digest()
    assert sign("s3cret-of-16-chars", "dlv_1", 1700000000, body) == "v1," + base64.b64encode(expected).decode()
    s = Settings(jwt_public_key="x", webhook_initial_backoff_s=2, webhook_max_backoff_s=10)
    assert [backoff(s, n).total_seconds() for n in (1, 2, 3, 4, 5)] == [2, 4, 8, 10, 10]


def test_credit_rules_are_configuration():
    rules = CreditRules.load(DEFAULT_CREDIT_RULES)
    # a penalty (查处) of an unlicensed dispatch agency or an unqualified partner is public; a confirmation is not
    assert rules.record_rule("M3.dispatch_licence_invalid", "penalized", {})
    assert rules.record_rule("M3.unqualified_partner", "penalized", {})
    assert not rules.record_rule("M3.dispatch_licence_invalid", "confirmed", {})
    assert not rules.applies("M1", "M1.misclassification")
    # only a related unit's arrears (item 6); the entrusted platform shares no record; early warnings none
    unit = {"related_unit_id": "ent_1", "credit_code": "91630100MA7XXXXXX1"}
    assert rules.record_rule("M6.wage_arrears", "confirmed", unit)
    assert not rules.record_rule("M6.wage_arrears", "confirmed", {"arrears_fen": 348000})
    assert not rules.applies("M19", "M19.related_unit_arrears")
    assert not rules.applies("M6", "M6.statement_missing")
    assert not rules.applies("M6", "M6.early_warning_low_hourly_pay")


def test_scorecard_thresholds_are_policy_data_by_date(tmp_path, monkeypatch):
    """A successor of the measures that raises the coverage threshold changes the score from its date,
    with no code change (NEWFORM_POLICY_DIR)."""
    from newform_common.policy import ENV_VAR, get_policy

    def contracts(on):
        n = numbers(active_registrations=10, workers_with_signed_contract=6)
        return scorecards.score_principle(scorecards.PRINCIPLES[2], n, on)

    after = date(2027, 1, 15)
    assert contracts(ON)["score"] == 1 and contracts(after)["score"] == 1  # 60 % >= 50 % (provisional after)
    (tmp_path / "xining-2027-1.toml").write_text(
        '[version]\nid = "xining-2027-1"\nextends = "xining-2022-41"\ndocument = "test successor"\n'
        'title = "test"\nvalid_from = 2027-01-01\nvalid_until = 2031-12-31\n\n'
        '[[parameter]]\nname = "scorecards.contract_coverage_percent"\nmeasure = "M19"\nunit = "percent"\n'
        'source = "test"\nvalues = [{ effective_from = 2027-01-01, value = { basic = 70, good = 95 } }]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    get_policy.cache_clear()
    try:
        assert contracts(ON)["score"] == 1
        raised = contracts(after)
        assert raised["score"] == 0 and "70%" in raised["points"][0]["evidence"]["threshold"]
    finally:
        monkeypatch.delenv(ENV_VAR)
        get_policy.cache_clear()


def test_routing_after_the_measures_lapse_uses_them_provisionally():
    lapsed = date(2027, 1, 15)
    assert routing.departments_for(
        "M12", occupation="courier", district="chengbei", on=lapsed
    ) == routing.departments_for("M12", occupation="courier", district="chengbei", on=ON)
    # a fact older than the measures is routed under their first version
    assert routing.departments_for("M6", occupation=None, district=None, on=date(2021, 6, 1))[0] == "hrss"


def test_a_district_government_named_responsible_is_that_government_alone():
    on = date(2026, 12, 1)
    assert routing.responsible_department({"responsible_department": "county:chengxi"}, on) == "county:chengxi"
    assert routing.responsible_department({"responsible_department": "county:atlantis"}, on) is None
    assert routing.responsible_department({"responsible_department": "county"}, on) is None
    assert routing.departments_for("M14", district="chengxi", on=on, responsible="county:chengxi") == ["county:chengxi"]
