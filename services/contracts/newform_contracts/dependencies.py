"""What every aggregate's router shares: who may call (roles), paging, the purpose header of a reveal, the
problem responses, the app's PII keys and evidence sealer, and the platform filter of a list."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request

from newform_common.auth import Principal, Role, require
from newform_common.errors import Forbidden, problem_responses
from newform_common.pagination import PageParams, page_params
from newform_common.scope import visibility

from .contracts.evidence import Sealer
from .pii import PURPOSE_HEADER, Pii

# A worker reads their own registrations, contracts and restrictions across platforms (scope.visibility).
READERS = (Role.platform, Role.worker, Role.regulator, Role.admin, Role.department)
Reader = Annotated[Principal, require(*READERS)]
PlatformCaller = Annotated[Principal, require(Role.platform)]
Oversight = Annotated[Principal, require(Role.regulator, Role.admin)]
# A worker appeals with his own token, or through a worker channel (12333 and the like) on his behalf.
WORKER_SIDE = (Role.worker, Role.worker_channel)
Appellant = Annotated[Principal, require(*WORKER_SIDE)]
AppealReader = Annotated[Principal, require(*READERS, Role.worker_channel)]
Lifter = Annotated[Principal, require(Role.platform, Role.regulator, Role.admin)]
Paging = Annotated[PageParams, Depends(page_params)]
Reveal = Annotated[bool, Query(description="Unmasked personal data (regulator/admin only; audited, needs X-Purpose)")]


def _declares_purpose(
    x_purpose: Annotated[
        str | None,
        Header(
            alias=PURPOSE_HEADER,
            description=(
                "Why unmasked personal data is read, recorded in the audit log; percent-encoded UTF-8 for Chinese. "
                "Required with `reveal=true` (400 `purpose-required` without it)"
            ),
        ),
    ] = None,
) -> None:
    """Declares the header in OpenAPI; `authorize_reveal` reads it (optional here: needed only to reveal)."""


PURPOSE = [Depends(_declares_purpose)]

READ_ERRORS = problem_responses(401, 403, 404)
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 422)


def pii_of(request: Request) -> Pii:
    return request.app.state.pii


def sealer_of(request: Request) -> Sealer:
    return request.app.state.sealer


def platform_filter(principal: Principal, platform_id: str | None) -> str | None:
    """A list's `platform_id` filter: a platform token may ask only for its own (403 otherwise)."""
    own = visibility(principal).platform_id
    if own is not None and platform_id is not None and platform_id != own:
        raise Forbidden("This token's scope does not cover that platform")
    return platform_id
