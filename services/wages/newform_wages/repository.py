"""Every query of the wages service: reads and writes of its tables, nothing else."""

from __future__ import annotations
