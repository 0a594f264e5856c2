"""Prometheus metrics every service exposes on /metrics."""

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "newform_http_requests_total", "HTTP requests handled", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "newform_http_request_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_BACKLOG = Gauge("newform_outbox_backlog", "Outbox rows committed but not yet published", ["service"])
OUTBOX_PUBLISHED = Counter("newform_outbox_published_total", "Outbox rows published to Kafka", ["service"])
CONSUMER_LAG = Gauge(
    "newform_consumer_lag", "Messages behind the partition's high watermark", ["group", "topic", "partition"]
)
EVENTS_HANDLED = Counter("newform_events_handled_total", "Events handled by a consumer", ["group", "type"])
EVENTS_DEAD_LETTERED = Counter(
    "newform_events_dead_lettered_total", "Events sent to a dead-letter topic", ["group", "topic"]
)
EVENT_FRESHNESS = Histogram(
    "newform_event_projection_lag_seconds",
    "Seconds from an event's time to its projection",
    ["group"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
CALENDAR_DAYS_COVERED = Gauge(
    "newform_calendar_days_covered",
    "Days until the loaded holiday schedules (调休) run out (alert below 60: load next year's State Council "
    "schedule; negative: legal periods in the uncovered year are provisional)",
)
POLICY_DAYS_REMAINING = Gauge(
    "newform_policy_days_remaining",
    "Days until the municipal measures' last loaded version lapses (alert well before 0: load the successor; "
    "negative: lapsed, rules resting on them alone run provisionally)",
)
