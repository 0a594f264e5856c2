from newform_common.migrations import run_env
from newform_gateway import training  # noqa: F401  (its tables join GatewayModel.metadata)
from newform_gateway.models import GatewayModel

run_env(GatewayModel.metadata)
