"""Request and response bodies of worker registrations (personal data encrypted, masked in responses)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from newform_common import vocabulary

from ..schemas import FROM_ROW, Occupation, example, row_id

#: Where a worker lives: one of Xining's districts, or outside the city (a worker who works in Xining
#: and lives elsewhere is covered by the measures; the place of work routes, not the residence).
OUTSIDE_XINING = "outside_xining"

ResidenceDistrict = Literal[(*vocabulary.codes("districts"), OUTSIDE_XINING)]  # type: ignore[valid-type]

# Formats documented in the schema for client-side checks; the validators in newform_common.identity
# enforce them (and the check digits) with a precise reason.
RESIDENT_ID_FORMAT = "^[1-8][0-9]{16}[0-9Xx]$"

MOBILE_FORMAT = "^(\\+?86)?1[3-9][0-9]{9}$"


class WorkerCreate(BaseModel):
    model_config = example(
        {
            "name": "张三",
            "id_number": "630102199001011235",
            "phone": "13812345678",
            "occupation": "food_delivery",
            "household_registration_place": "青海省西宁市城东区",
            "residence_district": "chengdong",
        }
    )

    name: str = Field(min_length=1, max_length=100)
    id_number: str = Field(
        description="Resident ID number (GB 11643); stored encrypted, masked in responses",
        json_schema_extra={"pattern": RESIDENT_ID_FORMAT},
    )
    phone: str = Field(
        description="Mainland mobile number; stored encrypted, masked in responses",
        json_schema_extra={"pattern": MOBILE_FORMAT},
    )
    occupation: Occupation
    household_registration_place: str | None = Field(None, max_length=200)
    residence_district: ResidenceDistrict = Field(description="Xining district of residence, or `outside_xining`")


# The registration and its person's data, decrypted and masked: `workers.service.worker_public`.
class WorkerPublic(BaseModel):
    model_config = FROM_ROW

    registration_id: str = row_id("registration_id")
    worker_id: str = Field(description="Pseudonymous id, the same on every platform")
    platform_id: str
    name: str = Field(description="Masked unless revealed")
    id_number: str = Field(description="Masked unless revealed")
    phone: str = Field(description="Masked unless revealed")
    occupation: str
    household_registration_place: str | None
    household_registration_region: str
    residence_district: str
    status: Literal["active", "restricted", "cancelled"]
    registered_at: datetime
