"""Request and response models (`XCreate`, `XPublic`; responses built with `from_attributes`)."""

from __future__ import annotations
