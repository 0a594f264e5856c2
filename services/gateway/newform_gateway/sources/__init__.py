"""The source slices: one package per service whose events the gateway reads (`contracts`, `disputes`,
`training`, `wages`, `departments`), each holding that source's tables (`models.py`), its projection
(`projection.py`), its queries (`repository.py`), its figures (`service.py`), its API routes
(`router.py`) and its dashboard page (`page.py`).

The list of slices, and `PROJECTIONS` and the routers built from it, is `../slices.py` (discovered from
this folder) — not this module: this `__init__` runs whenever any slice's table is imported (the alerts
read the enterprises, credit reads department facts), so it imports nothing.
"""
