"""What every router of the service shares: the callers' annotations, paging, the declared problems."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from newform_common.auth import Principal, Role, require
from newform_common.errors import problem_responses
from newform_common.pagination import PageParams, page_params

Anyone = Annotated[Principal, require()]
Worker = Annotated[Principal, require(Role.worker)]
Department = Annotated[Principal, require(Role.department, Role.admin)]
Paging = Annotated[PageParams, Depends(page_params)]
Id = Annotated[str, Path(max_length=64)]
WRITE = problem_responses(401, 403, 404, 409, 422)
READ = problem_responses(401, 403, 404)
