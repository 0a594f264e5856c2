"""Credit (M6, M19): bad-conduct records (`records.py`) and listings on the wage-arrears list
(`listings.py`) — two things, not one — their rules (`rules.py`, pure), the signed daily export
(`export.py`), the API (`router.py`). Tables in `models.py`, queries in `repository.py`."""
