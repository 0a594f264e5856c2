"""Every query of the disputes service: reads and writes of its tables, nothing else."""

from __future__ import annotations
