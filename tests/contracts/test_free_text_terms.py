"""M5 on free-text terms (issue 19): a clause in other_terms, rest_rules or the document is judged by meaning,
as its structured twin is — "乙方不得在其他平台接单" refused like `exclusivity: true` — and the refusal quotes it."""

from __future__ import annotations

from datetime import date

import pytest

from newform_contracts.contracts import terms as contract_terms

from ..kit.contracts import AGREEMENT_FACTS, terms

ON = date(2026, 6, 1)


def judged(text: str, engagement_type: str = "work_agreement", occupation: str | None = None) -> list[str]:
    facts = contract_terms.TermsFacts(
        pay_period="month", engagement_type=engagement_type, free_text=text, occupation=occupation
    )
    return [v.rule for v in contract_terms.check_free_text(facts, ON)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("乙方不得在其他平台接单。", ["M5.no_exclusivity"]),
        ("乙方应遵守平台规则，且不得在其他平台接单。", ["M5.no_exclusivity"]),
        ("The worker may not work for other platforms.", ["M5.no_exclusivity"]),
        ("甲方不得限制乙方在其他平台接单。", []),  # a protective clause
        ("乙方可以在其他平台接单。", []),
        ("乙方须缴纳押金500元。", ["M5.no_deposit"]),
        ("乙方入职需交纳培训费300元", ["M5.no_deposit"]),
        ("甲方不收取任何押金。", []),
        ("仅限男性。", ["M5.no_discriminatory_conditions"]),
        ("男女不限。", []),
        ("须年满16周岁。", []),  # the law's own minimum age
        ("尊重少数民族风俗习惯。", []),  # mentions a ground, sets no condition
        ("劳动合同：甲方聘用乙方从事配送工作，依法参加工伤保险。", []),
    ],
)
def test_free_text_clauses_are_judged_by_meaning(text, expected):
    assert judged(text) == expected


def test_exclusivity_in_a_full_time_labour_contract_is_lawful_in_text_as_in_the_field():
    assert judged("乙方不得在其他平台接单。", engagement_type="labor_contract") == []


async def test_a_work_agreement_saying_no_other_platforms_in_its_text_is_refused_quoting_the_clause(api):
    pid = await api.platform()
    worker = await api.worker(pid)
    clause = "乙方不得在其他平台接单"
    body = dict(
        engagement_type="work_agreement",
        engagement_facts=AGREEMENT_FACTS,
        terms=terms(other_terms=f"{clause}。其他事项双方协商。"),
    )
    as_text = await api.draft(pid, worker["registration_id"], **body)
    assert as_text.status_code == 422, as_text.text
    problem = as_text.json()
    assert problem["rule"] == "M5.no_exclusivity" and clause in problem["detail"]
    # The same clause as the structured field: the same rule.
    as_field = await api.draft(
        pid,
        worker["registration_id"],
        engagement_type="work_agreement",
        engagement_facts=AGREEMENT_FACTS,
        terms=terms(exclusivity=True),
    )
    assert as_field.status_code == 422 and as_field.json()["rule"] == "M5.no_exclusivity"
    # A deposit word that is no charge is accepted; the low-severity note quotes the sentence.
    noted = await api.draft(
        pid,
        worker["registration_id"],
        engagement_type="work_agreement",
        engagement_facts=AGREEMENT_FACTS,
        terms=terms(other_terms="关于押金的问题另行约定。"),
    )
    assert noted.status_code == 201, noted.text
    held = [f for f in noted.json()["findings"] if f["rule"] == "M5.suspicious_terms_text"]
    assert held, noted.json()["findings"]
