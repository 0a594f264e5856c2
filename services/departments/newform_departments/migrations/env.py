from newform_common.migrations import run_env
from newform_departments.models import ServiceModel
from newform_departments.notices import models as _notices  # noqa: F401  (their tables)
from newform_departments.stations import models as _stations  # noqa: F401

run_env(ServiceModel.metadata)
