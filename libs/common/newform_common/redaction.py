"""Resident ID numbers kept out of what a service writes about a request: its access log and its problems.

A caller may put an ID number where an identifier goes — a URL path (`/v1/workers/{worker_id}`), a query
string, a problem's `detail` that names the id it did not find. Access logs are kept and shipped wider than
the database (PIPL art. 51: measures against leaks of personal information), so every 18-character run
shaped like a GB 11643-1999 number (17 digits and a digit or X) is masked there as responses mask it
(`identity.mask_resident_id`: first 3 and last 4), whether or not its check digit is right — a mistyped
number is still a person's number.
"""

from __future__ import annotations

import re

from .identity import mask_resident_id

__all__ = ["ID_NUMBER_SHAPE", "mask_id_numbers"]

#: 17 digits and a digit or X, not inside a longer run of digits.
ID_NUMBER_SHAPE = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")


def mask_id_numbers(text: str) -> str:
    """`text` with every ID-number-shaped run masked (`110105199001011234` → `110***********1234`)."""
    if not text or len(text) < 18:
        return text
    return ID_NUMBER_SHAPE.sub(lambda m: mask_resident_id(m.group()), text)
