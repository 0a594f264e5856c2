import newform_common.idempotency  # noqa: F401  (the common tables: idempotency keys, inbox, outbox)
import newform_common.inbox  # noqa: F401
import newform_common.outbox  # noqa: F401
from newform_common.migrations import run_env
from newform_contracts.models import ServiceModel

run_env(ServiceModel.metadata)
