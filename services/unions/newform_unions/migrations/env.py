from newform_common.migrations import run_env
from newform_unions.models import ServiceModel

run_env(ServiceModel.metadata)
