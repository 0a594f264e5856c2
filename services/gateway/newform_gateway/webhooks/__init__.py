"""Webhooks: subscriptions to alerts (departments', platforms'), their API (`router.py`, `service.py`),
signatures (`signing.py`), target checks (`targets.py`), bodies (`documents.py`) and the background
deliverer (`deliverer.py`). Tables in `models.py`, queries in `repository.py`; the delivery rows
themselves are written by the alert path (`alerts/deliveries.py`)."""
