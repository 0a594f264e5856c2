"""The training world's builders: a running training service's API with providers, bodies, courses,
certificates and where a worker lives; new pseudonymous workers."""

from __future__ import annotations

from dataclasses import dataclass

from newform_common import testing as kit
from newform_common.testing import ServiceApi, unique_name


@dataclass
class TrainingApi(ServiceApi):
    """The kit's ServiceApi with the training world's builders."""

    contracts_topic: str = ""
    departments_topic: str = ""

    @property
    def hrss(self) -> dict[str, str]:
        return self.department("hrss")

    def as_body(self, body_id: str) -> dict[str, str]:
        return self.role("training_body", subject=body_id)

    async def provider(
        self,
        kind: str = "institution",
        platform_id: str | None = None,
        district: str = "chengxi",
        occupations=("on_demand_delivery", "courier"),
    ) -> str:
        pid = unique_name("prv").replace("_", "-")
        r = await self.client.post(
            "/v1/providers",
            headers=self.hrss,
            json={
                "provider_id": pid,
                "name": f"培训机构{pid}",
                "kind": kind,
                "credit_code": kit.credit_code(),
                "platform_id": platform_id,
                "district": district,
                "occupations": list(occupations),
            },
        )
        assert r.status_code == 201, r.text
        return pid

    async def body(self, scope=None) -> str:
        bid = unique_name("cb").replace("_", "-")
        r = await self.client.post(
            "/v1/certification-bodies",
            headers=self.hrss,
            json={
                "body_id": bid,
                "name": "职业技能鉴定中心",
                "credit_code": kit.credit_code(),
                "scope": scope or [{"occupation": "on_demand_delivery", "levels": [5, 4, 3]}],
            },
        )
        assert r.status_code == 201, r.text
        return bid

    async def course(self, provider_id: str, headers=None, level: int = 5, district: str = "chengxi") -> str:
        r = await self.client.post(
            "/v1/courses",
            headers=headers or self.hrss,
            json={
                "provider_id": provider_id,
                "occupation": "on_demand_delivery",
                "level": level,
                "district": district,
                "starts_on": "2026-03-02",
                "ends_on": "2026-03-20",
            },
        )
        assert r.status_code == 201, r.text
        return r.json()["course_id"]

    async def certificate(
        self, body_id: str, worker_id: str, course_id: str | None = None, level: int = 5, issued_on: str = "2026-03-25"
    ) -> str:
        number = unique_name("QH").replace("_", "-")
        r = await self.client.post(
            "/v1/certificates",
            headers=self.as_body(body_id),
            json={
                "certificate_number": number,
                "worker_id": worker_id,
                "occupation": "on_demand_delivery",
                "level": level,
                "issued_on": issued_on,
                "course_id": course_id,
            },
        )
        assert r.status_code == 201, r.text
        return number

    async def lives_in(self, worker_id: str, household_region: str = "630104", residence: str = "chengdong") -> None:
        await kit.execute(
            self.url,
            "insert into worker_places (worker_id, household_region, residence_district, "
            "updated_at) values (:w, :h, :r, now()) on conflict (worker_id) do update set "
            "household_region = :h, residence_district = :r",
            w=worker_id,
            h=household_region,
            r=residence,
        )


def new_worker() -> str:
    return kit.worker_id_of(kit.resident_id())
