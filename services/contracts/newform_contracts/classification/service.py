"""Classification as a use case: the request's facts judged by the rules (stores nothing)."""

from __future__ import annotations

from . import rules
from .schemas import EngagementFactsIn


def classify(facts: EngagementFactsIn) -> rules.Classification:
    return rules.classify(rules.EngagementFacts(**facts.model_dump()))
