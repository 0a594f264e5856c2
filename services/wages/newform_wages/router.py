"""HTTP only: parse, authorise, call the use case, shape the response."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1")
