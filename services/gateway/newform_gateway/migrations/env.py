from newform_common.migrations import run_env
from newform_gateway.main import create_app  # noqa: F401  (every concern's tables join GatewayModel.metadata)
from newform_gateway.models import GatewayModel

run_env(GatewayModel.metadata)
