"""`/`: where a worker who opens this service's address is sent — the one workers' app (issue 21,
`WORKER_APP_URL`, served by the gateway at `/app/`), where complaints and cases sit beside the
worker's contracts, pay and training, and where the worker signs in through the identity provider.
The complaint page that lived here asked the worker to paste a token; it is gone, the API it used
(`/v1/complaints`, `/v1/cases`, ...) is unchanged and is what the app calls."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

router = APIRouter(include_in_schema=False)


@router.get("/")
async def to_the_workers_app(request: Request) -> RedirectResponse:
    # 303: a bookmark of the old page keeps working; the app opens on its complaints section.
    return RedirectResponse(f"{request.app.state.settings.worker_app_url}#disputes", status_code=303)
