"""The rest-station events on `departments.events` (schemas committed in ../event_schemas/; regenerate with
`python -m newform_departments.events`). Keyed by station, so one station's story stays in order. A report
carries no worker id: the regulator's figures need how many and how fast, not who."""

from __future__ import annotations

from datetime import datetime

from newform_common.events import DomainEvent, event_type


class _Station(DomainEvent):
    station_id: str
    keeper: str
    reference: str
    name: str
    address: str
    district: str
    lat: float
    lon: float
    amenities: list[str]
    hours: dict
    version: int
    at: datetime


@event_type("departments.rest_station.registered.v1", key="station_id")
class RestStationRegistered(_Station):
    """A keeper (an M14 unit) registered a rest station."""


@event_type("departments.rest_station.updated.v1", key="station_id")
class RestStationUpdated(_Station):
    """A keeper restated its station (version + 1): place, amenities or hours changed."""


@event_type("departments.rest_station.reported.v1", key="station_id")
class RestStationReported(DomainEvent):
    """A worker reported the station closed, full, broken or other: an alert for its keeper, due by `due_at`."""

    report_id: str
    station_id: str
    keeper: str
    district: str
    kind: str
    reported_at: datetime
    due_at: datetime


@event_type("departments.rest_station.report_handled.v1", key="station_id")
class RestStationReportHandled(DomainEvent):
    """The keeper marked a report handled (`overdue`: after its due time)."""

    report_id: str
    station_id: str
    keeper: str
    district: str
    reported_at: datetime
    handled_at: datetime
    overdue: bool
