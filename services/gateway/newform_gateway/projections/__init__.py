"""Projections: the runner (`runner.py`: a polled batch into the event log, the source slices' read
models and the alert path) and what every slice's projection is made of (`base.py`)."""
