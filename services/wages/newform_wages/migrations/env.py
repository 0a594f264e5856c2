from newform_common.migrations import run_env
from newform_wages.models import ServiceModel

run_env(ServiceModel.metadata)
