"""A FAKE department system for tests: a social-insurance register that can only be pulled from.

It stands in for medins's (or hrss's) register, which is outside the system: it answers in the national
data dictionary's field codes (aac002, aae140, aac008, …) with a cursor, and can be told to fail.
Served for real over HTTP on loopback by the test (tests/kit/loopback.py's LoopbackServer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Header, HTTPException


@dataclass
class FakeSocialInsuranceRegister:
    records: list[dict[str, Any]] = field(default_factory=list)
    failing: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    token: str = "fake-register-token"

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/si/enrolments")
        async def enrolments(since: int = 0, authorization: str | None = Header(None)):
            self.requests.append({"since": since, "authorization": authorization})
            if authorization != f"Bearer {self.token}":
                raise HTTPException(401)
            if self.failing:
                raise HTTPException(503, "register under maintenance")
            return {"data": self.records[since:], "next": str(len(self.records))}

        return app
