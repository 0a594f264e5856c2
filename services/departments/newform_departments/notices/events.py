"""The notice event on `departments.events` (schema committed in ../event_schemas/)."""

from __future__ import annotations

from datetime import date, datetime

from newform_common.events import DomainEvent, event_type


@event_type("departments.notice.published.v1", key="notice_id")
class NoticePublished(DomainEvent):
    """A department published a notice for workers, or restated it (`version` + 1)."""

    notice_id: str
    publisher: str
    reference: str
    kind: str
    measure: str
    title: str
    valid_from: date
    valid_until: date | None
    districts: list[str]
    occupations: list[str]
    version: int
    at: datetime
