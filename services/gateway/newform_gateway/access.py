"""Who may use the gateway's API: department (with its department scope), regulator and admin tokens.
A platform (or any other role) gets 403 everywhere but its own webhooks (`webhooks/router.py`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from newform_common.auth import Principal, Role, require
from newform_common.errors import Forbidden, problem_responses

from .alerts import routing

AnyViewer = Annotated[Principal, require(Role.department, Role.regulator, Role.admin)]


async def scoped_viewer(principal: AnyViewer) -> Principal:
    """The caller, if it may use the gateway: the regulator, admin, or a department token that names its
    department (a district government's token also its district). The same refusal on every route."""
    if principal.role == Role.department and routing.department_key(principal) is None:
        raise Forbidden(
            "A department token needs a department scope (a district government: department=county with a district)"
        )
    return principal


async def scoped_department(principal: Annotated[Principal, Depends(scoped_viewer)]) -> Principal:
    if principal.role != Role.department:
        raise Forbidden(f"This operation is not open to the {principal.role} role")
    return principal


Viewer = Annotated[Principal, Depends(scoped_viewer)]
Oversight = Annotated[Principal, require(Role.regulator, Role.admin)]
Department = Annotated[Principal, Depends(scoped_department)]
ERRORS = problem_responses(401, 403, 422)
