"""Request and response bodies of platforms and their cooperating enterprises (M3)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from ..events import EnterpriseKind
from ..schemas import FROM_ROW, Bool, Date, District, Occupation, example, row_id

PartnerKind = Literal["dispatch_agency", "outsourcer", "franchisee", "agent"]

# Valid GB 32100 codes (check character computed), one per example: one code is one legal entity.
CREDIT_CODE_EXAMPLE = "91630100MA7X8Y001G"

PARTNER_CREDIT_CODE_EXAMPLE = "91630104MA7C8P2Q49"


# Formats documented in the schema for client-side checks; the validators in newform_common.identity
# enforce them (and the check digits) with a precise reason.
CREDIT_CODE_FORMAT = "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"

CREDIT_CODE_DESCRIPTION = (
    "Unified social credit code (GB 32100, check character validated). One code is one legal "
    "entity: a code already registered (as a platform or any platform's partner) is refused "
    "with 409 and the existing `enterprise_id`"
)


class PlatformCreate(BaseModel):
    model_config = example(
        {
            "platform_id": "meituan",
            "name": "美团西宁",
            "credit_code": CREDIT_CODE_EXAMPLE,
            "district": "chengzhong",
            "occupations": ["food_delivery", "on_demand_delivery"],
        }
    )

    platform_id: str = Field(pattern=r"^[a-z][a-z0-9_-]{1,63}$", description="Slug; platform tokens carry it")
    name: str = Field(min_length=1, max_length=200)
    credit_code: str = Field(description=CREDIT_CODE_DESCRIPTION, json_schema_extra={"pattern": CREDIT_CODE_FORMAT})
    district: District
    occupations: list[Occupation] = Field(min_length=1)


class DispatchLicence(BaseModel):
    number: str = Field(min_length=1, max_length=100)
    valid_until: Date


class PartnerCreate(BaseModel):
    model_config = example(
        {
            "name": "西宁速达劳务派遣有限公司",
            "kind": "dispatch_agency",
            "credit_code": PARTNER_CREDIT_CODE_EXAMPLE,
            "district": "chengxi",
            "occupations": ["food_delivery"],
            "dispatch_licence": {"number": "青人社派许字〔2024〕0012号", "valid_until": "2027-06-30"},
            "qualified": True,
        }
    )

    name: str = Field(min_length=1, max_length=200)
    kind: PartnerKind
    credit_code: str = Field(description=CREDIT_CODE_DESCRIPTION, json_schema_extra={"pattern": CREDIT_CODE_FORMAT})
    district: District
    occupations: list[Occupation] = Field(min_length=1)
    dispatch_licence: DispatchLicence | None = Field(None, description="Labour-dispatch licence (dispatch agencies)")
    qualified: Bool = Field(
        False,
        description="Outsourcer, franchisee or agent holds the qualification its "
        "business needs (an unqualified one is a finding, M3)",
    )


class EnterprisePublic(BaseModel):
    model_config = FROM_ROW

    enterprise_id: str = row_id("enterprise_id")
    name: str
    kind: EnterpriseKind
    platform_id: str
    credit_code: str
    district: str
    occupations: list[str]
    dispatch_licence_number: str | None
    dispatch_licence_valid_until: date | None
    qualified: bool
    registered_at: datetime


class PlatformDirectoryEntry(BaseModel):
    """A platform's public registration facts, readable by every signed-in caller (a worker's app names the
    platforms of their contracts; M19's credit information is about these platforms). Nothing internal:
    partners, licences and registration times stay with oversight (`/v1/enterprises`)."""

    model_config = FROM_ROW

    platform_id: str
    name: str
    district: str
    occupations: list[str]
