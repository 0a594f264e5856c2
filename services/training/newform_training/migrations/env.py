from newform_common.migrations import run_env
from newform_training.models import ServiceModel

run_env(ServiceModel.metadata)
