"""The events the gateway reads, as the gateway's own typed models (`newform_common.consumed`): they
live with their projections (`sources/<service>/projection.py`); listed here so the suite checks each one
against its producer's committed schema."""

from .sources.contracts.projection import (  # noqa: F401
    AccountRestricted,
    ContractDiscarded,
    ContractDrafted,
    ContractExpired,
    ContractSent,
    ContractSigned,
    ContractTerminated,
    EnterpriseRegistered,
    RestrictionLifted,
    RuleNoticePublished,
    WorkerRegistered,
)
from .sources.departments.projection import (  # noqa: F401
    CaseOutcomeRecorded,
    DispatchLicenceRecorded,
    EnterpriseRecordRecorded,
    InspectionResultRecorded,
    InsuranceEnrolmentRecorded,
)
from .sources.disputes.projection import (  # noqa: F401
    CaseStageChanged,
    ClockExpired,
    ComplaintAnswered,
    ComplaintFiled,
    ComplaintResolved,
    LegalAidRequested,
)
from .sources.training.projection import (  # noqa: F401
    CertificateIssued,
    ClaimApproved,
    ClaimPaid,
    ClaimRejected,
    ClaimSubmitted,
)
from .sources.wages.projection import (  # noqa: F401
    QuotaAssessed,
    RelatedUnitRegistered,
    SessionsAccepted,
    StatementsAccepted,
    StatementsJudged,
    StatementTotalsChanged,
)
