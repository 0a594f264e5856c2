"""What every aggregate's router shares: who may call (the roles of writes and reads) and the problem
responses a write declares."""

from __future__ import annotations

from typing import Annotated

from newform_common.auth import Principal, Role, require
from newform_common.errors import problem_responses

Platform = Annotated[Principal, require(Role.platform)]
Reader = Annotated[
    Principal, require(Role.platform, Role.enterprise, Role.worker, Role.department, Role.regulator, Role.admin)
]
WRITE_ERRORS = problem_responses(400, 401, 403, 409, 413, 415, 422, 503)
# Writes on a resource the path names: also 404 when the caller sees no such resource (issue 24, 11).
RESOURCE_WRITE_ERRORS = problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 503)
