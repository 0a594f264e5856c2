from newform_common.migrations import run_env
from newform_wages.batches import models as _batches  # noqa: F401  (each aggregate's tables join the metadata)
from newform_wages.collective import models as _collective  # noqa: F401
from newform_wages.engagements import models as _engagements  # noqa: F401
from newform_wages.models import ServiceModel
from newform_wages.quotas import models as _quotas  # noqa: F401
from newform_wages.related_units import models as _related_units  # noqa: F401
from newform_wages.safety import models as _safety  # noqa: F401
from newform_wages.sessions import models as _sessions  # noqa: F401
from newform_wages.statements import models as _statements  # noqa: F401

run_env(ServiceModel.metadata)
