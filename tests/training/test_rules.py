"""M13 subsidy rules as pure functions, with the policy's figures."""

from __future__ import annotations

from datetime import date

from newform_training import rules
from newform_training.rules import Certificate, PlaceFact, PlaceGround, PriorClaim, WorkerPlaces

W = "w_" + "a" * 26
HOME = WorkerPlaces(id_region="630104", residence_district="chengdong", job_seeking_district=None)


def cert(level=5, occupation="on_demand_delivery", number="C1", issued=date(2026, 3, 1)) -> Certificate:
    return Certificate(number, W, occupation, level, issued)


def refusals(c, prior=(), held=(), place="chengxi", places=HOME, on=date(2026, 4, 1), amount=None):
    refused, _ = rules.eligibility(
        c, places=places, training_district=place, prior=list(prior), held_levels=list(held), claimed_fen=amount, on=on
    )
    return [v.rule for v in refused]


def test_amounts_come_from_the_catalogue_by_level():
    assert rules.subsidy_amount_fen("courier", 5, date(2026, 1, 1)) == 100000
    assert rules.subsidy_amount_fen("courier", 4, date(2026, 1, 1)) == 150000
    assert rules.subsidy_amount_fen("courier", 3, date(2026, 1, 1)) == 200000
    assert refusals(cert(), amount=100000) == []
    assert refusals(cert(), amount=120000) == ["M13.amount_not_catalogue"]


def test_the_same_occupation_and_level_twice_in_one_year_the_second_is_refused():
    first = PriorClaim("clm_1", "C0", "on_demand_delivery", 5, date(2026, 2, 1))
    assert refusals(cert(number="C2"), prior=[first]) == ["M13.already_subsidised"]


def test_a_higher_level_held_or_subsidised_then_a_lower_one_is_refused():
    assert refusals(cert(level=5), held=[5, 4]) == ["M13.higher_level_held"]
    subsidised_higher = PriorClaim("clm_1", "C0", "on_demand_delivery", 3, date(2025, 2, 1))
    assert refusals(cert(level=4, number="C4"), prior=[subsidised_higher]) == ["M13.higher_level_held"]
    # A higher level after a lower one is the point of upskilling — but not in the same year (limit 1).
    lower_last_year = PriorClaim("clm_0", "C0", "on_demand_delivery", 5, date(2025, 6, 1))
    assert refusals(cert(level=4, number="C4"), prior=[lower_last_year]) == []
    lower_this_year = PriorClaim("clm_0", "C0", "on_demand_delivery", 5, date(2026, 1, 6))
    assert refusals(cert(level=4, number="C4"), prior=[lower_this_year]) == ["M13.yearly_limit_reached"]


def test_training_place_must_be_household_registration_residence_or_job_seeking_place():
    assert refusals(cert(), place="chengxi") == []  # household region 630104 is chengxi
    assert refusals(cert(), place="chengdong") == []  # where the worker lives
    assert refusals(cert(), place="datong") == ["M13.training_place_not_eligible"]  # none of the three
    # A job-seeking place the claimant writes is not a ground; hrss's registration there is.
    written = WorkerPlaces("630104", "chengdong", job_seeking_district="datong")
    assert refusals(cert(), place="datong", places=written) == ["M13.training_place_not_eligible"]
    registered = WorkerPlaces(
        "630104",
        "chengdong",
        "datong",
        facts=(
            PlaceFact(
                "job_seeking_registration", "hrss", "JY-1", "fct_1", district="datong", valid_from=date(2026, 1, 1)
            ),
        ),
    )
    assert refusals(cert(), place="datong", places=registered) == []
    ended = WorkerPlaces(
        "630104",
        "chengdong",
        "datong",
        facts=(
            PlaceFact(
                "job_seeking_registration",
                "hrss",
                "JY-1",
                "fct_1",
                district="datong",
                valid_from=date(2025, 1, 1),
                valid_until=date(2025, 12, 31),
            ),
        ),
    )
    assert refusals(cert(), place="datong", places=ended) == ["M13.training_place_not_eligible"]
    unknown = WorkerPlaces(None, None, None)  # a worker no platform has registered
    assert refusals(cert(), place="chengxi", places=unknown) == ["M13.training_place_not_eligible"]


def test_household_registration_is_public_securitys_record_and_the_id_prefix_only_a_fallback():
    moved = PlaceFact("household_registration", "police", "HJ-1", "fct_2", region_code="630121")
    places = WorkerPlaces("630104", "chengdong", None, facts=(moved,))
    assert refusals(cert(), place="chengxi", places=places) == ["M13.training_place_not_eligible"]
    ground = rules.training_place_ground("datong", places, date(2026, 3, 1), date(2026, 4, 1))
    assert ground == PlaceGround("household_registration", "police", "HJ-1", "fct_2")
    fallback = rules.training_place_ground("chengxi", HOME, date(2026, 3, 1), date(2026, 4, 1))
    assert fallback.source == "id_number_prefix" and fallback.fallback and "fallback" in fallback.note


def test_claim_window_is_twelve_months_from_the_certificate():
    assert refusals(cert(issued=date(2025, 4, 1)), on=date(2026, 4, 1)) == []
    assert refusals(cert(issued=date(2025, 3, 31)), on=date(2026, 4, 1)) == ["M13.claim_window_passed"]
    assert rules.add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)


def test_one_certificate_is_paid_once_across_channels():
    by_worker = PriorClaim("clm_w", "C1", "on_demand_delivery", 5, date(2026, 3, 5))
    assert refusals(cert(), prior=[by_worker])[0] == "M13.certificate_already_claimed"


def test_bodies_certify_only_what_they_are_recognised_for():
    scope = {"on_demand_delivery": [5, 4, 3]}
    assert rules.body_may_certify(scope, "on_demand_delivery", 4) is None
    assert rules.body_may_certify(scope, "on_demand_delivery", 2).rule == "M13.certificate_not_recognised"
    assert rules.body_may_certify(scope, "courier", 5).rule == "M13.certificate_not_recognised"


def test_an_unusual_claim_rate_on_one_provider_is_raised_once():
    limit = 50
    assert rules.provider_rate_finding("prv", limit, date(2026, 1, 1)) is None
    spec = rules.provider_rate_finding("prv", limit + 1, date(2026, 1, 1))
    assert spec.rule == "M13.provider_claims_unusual" and spec.evidence["claims_in_30_days"] == 51
    assert rules.provider_rate_finding("prv", limit + 2, date(2026, 1, 1)) is None


def test_every_rule_id_emitted_is_declared():
    declared = {r.rule for r in rules.RULES}
    assert {"M13.certificate_claimed_twice", "M13.provider_claims_unusual"} <= declared
    assert all(r.measure == "M13" for r in rules.RULES)
