from newform_common.migrations import run_env
from newform_gateway.models import GatewayModel

run_env(GatewayModel.metadata)
