from newform_common.migrations import run_env
from newform_gateway import disputes_views, training  # noqa: F401  (their tables join GatewayModel.metadata)
from newform_gateway.models import GatewayModel

run_env(GatewayModel.metadata)
