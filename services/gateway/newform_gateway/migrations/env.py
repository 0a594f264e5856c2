# The common tables (outbox, inbox, idempotency keys) register on import; the gateway uses all three.
import newform_common.idempotency  # noqa: F401
import newform_common.inbox  # noqa: F401
import newform_common.outbox  # noqa: F401
from newform_common.migrations import run_env
from newform_gateway.models import GatewayModel

run_env(GatewayModel.metadata)
