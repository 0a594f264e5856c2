"""What the aggregates' request and response bodies share (snake_case JSON, examples in the schema):
the vocabulary, strict dates and booleans, and responses built from rows (`RowWith`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AliasChoices, BeforeValidator, ConfigDict, Field, StrictBool

from newform_common import vocabulary

# The shared vocabulary, from the policy data (an enum in OpenAPI; newform_common.vocabulary).
District = vocabulary.literal("districts")
Occupation = vocabulary.literal("occupations")
EngagementType = vocabulary.literal("engagement_types")


def _text_only(kind: str):
    """Dates and times travel as ISO 8601 text: a number (epoch seconds or days) is refused, not guessed."""

    def check(value: Any) -> Any:
        if not isinstance(value, (str, date)):
            raise ValueError(f"must be an ISO 8601 {kind} string")
        return value

    return BeforeValidator(check)


#: Strict input types (issue 8 item 25): dates and times as text, booleans only true/false.
Date = Annotated[date, _text_only("date, e.g. 2026-12-01")]
DateTime = Annotated[datetime, _text_only("date-time with offset, e.g. 2026-11-28T10:15:00+08:00")]
Bool = StrictBool


def example(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


#: Responses are built from rows: `Model.model_validate(row)` reads the row's attributes.
FROM_ROW = ConfigDict(from_attributes=True)


def row_id(name: str) -> Any:
    """A response's `<thing>_id`, read from the row's `id` (or given by that name)."""
    return Field(validation_alias=AliasChoices(name, "id"))


class RowWith:
    """A row plus the response fields it does not hold (computed by the caller), read as one object
    by `Model.model_validate`: the row's columns project as they are, the computed ones are named."""

    def __init__(self, row: Any, **computed: Any) -> None:
        self._row, self._computed = row, computed

    def __getattr__(self, name: str) -> Any:
        computed = self.__dict__["_computed"]
        return computed[name] if name in computed else getattr(self.__dict__["_row"], name)
