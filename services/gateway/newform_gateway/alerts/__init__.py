"""Alerts (M16, M20): findings of every service into alerts routed to the responsible departments
(`routing.py`, `findings.py`, `projection.py`), the steps on them (`transitions.py`, `service.py`), their
webhook deliveries (`deliveries.py`), the API and the page. Tables in `models.py`, queries in
`repository.py`."""
