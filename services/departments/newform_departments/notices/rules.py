"""Pure rules of notices (M11, M12, M15): which measure a kind serves, who may publish it, whom it reaches."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

MEASURE_OF = {
    "job_fair": "M11",
    "recruitment_warning": "M11",
    "complaint_hotline": "M11",
    "insurance_enrolment": "M12",
    "insurance_lookup": "M12",
    "schooling": "M15",
    "culture_sports": "M15",
}
COUNTY = "county"


def publishers_parameter(measure: str) -> str:
    """The policy's responsible units of a measure (宁政办〔2022〕41号, each item's 责任单位)."""
    return f"routing.departments.{measure}"


def publisher_refusal(
    department: str | None, district: str | None, measure: str, units: Iterable[str], districts: Sequence[str]
) -> str | None:
    """Why this department may not publish a notice of `measure` to `districts`, or None: a measure's
    responsible units publish for it; a district government only to its own district."""
    units = list(units)
    if department not in units:
        return f"Notices under {measure} are published by its units ({', '.join(units)}); {department} is not one"
    if department == COUNTY and list(districts) != [district]:
        return f"A district government publishes to its own district only: districts must be [{district!r}]"
    return None


def reaches(
    valid_from: date,
    valid_until: date | None,
    districts: Sequence[str],
    occupations: Sequence[str],
    *,
    today: date,
    district: str | None,
    worker_occupations: Iterable[str],
) -> bool:
    """Whether a notice is valid today and targets a worker of `district` with these occupations (an empty
    target list is everyone; a worker without a known district is reached only by untargeted notices)."""
    if today < valid_from or (valid_until is not None and today > valid_until):
        return False
    if districts and district not in districts:
        return False
    return not occupations or bool(set(occupations) & set(worker_occupations))
