"""HTTP only: parse, authorise (`require(Role.…)`), call the use case, shape the response."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1")
