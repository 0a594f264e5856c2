"""A finding about a dispute body's own lateness is routed to its responsible department alone (pure)."""

from __future__ import annotations

from datetime import date

from newform_gateway.alerts import routing

ON = date(2025, 8, 7)


def test_a_body_finding_goes_to_its_department_alone_and_that_department_decides():
    responsible = routing.responsible_department({"responsible_department": "hrss"}, ON)
    assert responsible == "hrss"
    assert routing.departments_for(
        "M18", occupation="ride_hailing", district="chengbei", on=ON, responsible=responsible
    ) == ["hrss"]
    assert routing.lead_department("M18", district="chengbei", on=ON, responsible=responsible) == "hrss"
    # Without it, M18 goes to its units and the sector regulator, and the court decides.
    ordinary = routing.departments_for("M18", occupation="ride_hailing", district="chengbei", on=ON)
    assert ordinary == ["court", "hrss", "justice", "county:chengbei", "transport"]
    assert routing.lead_department("M18", district="chengbei", on=ON) == "court"


def test_an_unknown_or_bare_county_responsible_department_is_no_one():
    assert routing.responsible_department({"responsible_department": "astrology"}, ON) is None
    assert routing.responsible_department({"responsible_department": "county"}, ON) is None
    assert routing.responsible_department({"responsible_department": 7}, ON) is None
    assert routing.responsible_department(None, ON) is None


def test_the_responsible_department_of_an_alert_is_read_from_its_first_finding():
    evidence = [{"finding_id": "f1", "evidence": {"responsible_department": "hrss", "due_on": "2025-08-06"}}]
    assert routing.alert_responsible(evidence) == "hrss"
    assert routing.alert_responsible([{"finding_id": "f1", "evidence": {}}]) is None
    assert routing.alert_responsible([]) is None
