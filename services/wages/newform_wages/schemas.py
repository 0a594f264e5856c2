"""The field types every upload's lines share. Each aggregate's request and response models are in its
`schemas.py`; a batch line is the same model as a single statement or session."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

LineId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9._:\-]+$",
        description="The platform's stable id of this line: a resent line changes nothing",
    ),
]
WorkerId = Annotated[
    str,
    Field(
        min_length=3,
        max_length=64,
        pattern=r"^w_[a-z0-9]+$",
        description="Pseudonymous worker id (as in contracts' events), never an ID number",
    ),
]
Fen = Annotated[int, Field(le=10**12, ge=-(10**12), description="Amount in fen (integer)")]
