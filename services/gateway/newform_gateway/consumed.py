"""The events the gateway reads, as the gateway's own typed models (`newform_common.consumed`): they
live with their projections (`projections/<service>.py`); listed here so the suite checks each one
against its producer's committed schema."""

from .projections.contracts import (  # noqa: F401
    AccountRestricted,
    ContractDiscarded,
    ContractDrafted,
    ContractExpired,
    ContractSent,
    ContractSigned,
    ContractTerminated,
    EnterpriseRegistered,
    RuleNoticePublished,
    WorkerRegistered,
)
from .projections.disputes import (  # noqa: F401
    CaseStageChanged,
    ClockExpired,
    ComplaintAnswered,
    ComplaintFiled,
    ComplaintResolved,
    LegalAidRequested,
)
from .projections.training import (  # noqa: F401
    CertificateIssued,
    ClaimApproved,
    ClaimPaid,
    ClaimRejected,
    ClaimSubmitted,
)
