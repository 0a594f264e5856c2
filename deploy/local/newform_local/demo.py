"""Demo data for `make run`, seeded at every start through the services' public APIs, as a platform and
the departments would (tokens minted with the stack's development key), so a demo person who signs in
finds something:

- the demo platform (contracts), with ``worker-zhang`` and ``worker-li`` registered by the ID numbers the
  identity provider signs them in with (``keycloak_realm.DEMO_PEOPLE``): contracts derives the same
  pseudonymous id from the number as from their sign-in;
- zhang: a labour contract sent, waiting for their signature; this month's pay statement, paid on time,
  and a work session (wages);
- li: a work agreement signed by both sides, on facts of employment: the one finding of the demo,
  ``M1.misclassification`` (li sees it in the app beside the agreement; the regulator and the M1
  departments get its alert);
- a union covering the demo platform (unions, by the union department), a notice of hrss for every
  worker (departments).

Idempotent: each thing is looked up or answered "already there" (409, a resent line id, an unchanged
notice) before anything new is made, so a restart changes nothing — keys alone would not do, they are
kept for a week only. A service not in the stack is left out.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from newform_common import clock
from newform_common.identity import make_credit_code, worker_pseudonym

from .keycloak_realm import demo_person
from .keys import Keys

#: Per call: the seed must not hold the start up for long.
TIMEOUT = 5


class SeedError(RuntimeError):
    """A service refused or did not answer; `newform dev` says so and carries on."""


@dataclass(frozen=True)
class DemoWorker:
    username: str
    name: str
    phone: str
    occupation: str


ZHANG = DemoWorker("worker-zhang", "张伟", "13909710001", "food_delivery")
LI = DemoWorker("worker-li", "李娜", "13909710002", "courier")
UNION_ID = "un-demo-platform"
NOTICE_REFERENCE = "DEMO-M12-1"


def call(url: str, method: str = "GET", token: str | None = None, body: dict | None = None, key: str | None = None):
    """(status, JSON answer) of one request; 4xx answers are returned, not raised."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        answer = exc.read()
        if exc.code >= 500:
            raise SeedError(f"{method} {url}: {exc.code} {answer[:300]!r}") from exc
        try:
            return exc.code, json.loads(answer or b"null")
        except ValueError:
            return exc.code, {"detail": answer[:300].decode(errors="replace")}
    except (urllib.error.URLError, OSError) as exc:
        raise SeedError(f"{method} {url}: {exc}") from exc


def expect(what: str, status: int, answer, *ok: int):
    if status not in ok:
        raise SeedError(f"{what}: {status} {json.dumps(answer, ensure_ascii=False)[:300]}")
    return answer


def seed_demo_platform(contracts_url: str, keys: Keys, platform_id: str) -> str:
    """Register `platform_id` through the contracts API (idempotent: safe on every start)."""
    body = {
        "platform_id": platform_id,
        "name": "演示平台（newform demo）",
        "credit_code": make_credit_code("91630100MA7DEM001"),
        "district": "chengzhong",
        "occupations": ["food_delivery", "courier", "ride_hailing"],
    }
    token = keys.mint("admin", subject="newform-dev")
    status, answer = call(f"{contracts_url}/v1/platforms", "POST", token, body, f"demo-platform-{platform_id}")
    expect("registering the demo platform", status, answer, 200, 201, 409)  # 409: registered another way
    return platform_id


@dataclass
class DemoSeed:
    """Seeds the demo world on the services that run (`urls` by service name); `done` says what it did."""

    urls: dict[str, str]
    keys: Keys
    platform_id: str

    def __post_init__(self) -> None:
        self.pii_secret = self.keys.pii_secret.read_text().strip()
        self.platform = self.keys.mint("platform", subject=f"dev-{self.platform_id}", platform_id=self.platform_id)
        self.done: list[str] = []

    def run(self) -> list[str]:
        contracts = self.urls.get("contracts")
        if contracts is None:
            return self.done
        seed_demo_platform(contracts, self.keys, self.platform_id)
        today = clock.today()
        zhang = self.contract(ZHANG, "labor_contract", today)
        li = self.contract(LI, "work_agreement", today)
        if li["status"] == "sent":
            self.sign_both(LI, li)
        if "wages" in self.urls:
            self.pay(ZHANG, zhang["contract_id"], today)
        if "unions" in self.urls:
            self.union(today)
        if "departments" in self.urls:
            self.notice()
        return self.done

    def worker_id(self, worker: DemoWorker) -> str:
        return worker_pseudonym(self.id_number(worker), self.pii_secret)

    @staticmethod
    def id_number(worker: DemoWorker) -> str:
        number = demo_person(worker.username).id_number
        assert number is not None, worker.username
        return number

    def registration(self, worker: DemoWorker) -> str:
        url = f"{self.urls['contracts']}/v1/workers"
        query = urllib.parse.urlencode({"worker_id": self.worker_id(worker), "platform_id": self.platform_id})
        status, found = call(f"{url}?{query}", token=self.platform)
        items = expect("reading the demo workers", status, found, 200)["items"]
        if items:
            return items[0]["registration_id"]
        body = {
            "name": worker.name,
            "id_number": self.id_number(worker),
            "phone": worker.phone,
            "occupation": worker.occupation,
            "household_registration_place": "青海省西宁市城中区",
            "residence_district": "chengzhong",
        }
        status, made = call(url, "POST", self.platform, body, f"demo-worker-{worker.username}")
        made = expect(f"registering {worker.username}", status, made, 200, 201)
        self.done.append(f"{worker.username} registered with {self.platform_id}")
        return made["registration_id"]

    def contract(self, worker: DemoWorker, engagement: str, today: date) -> dict:
        """The worker's contract of this type with the demo platform: drafted and sent once."""
        url = f"{self.urls['contracts']}/v1/contracts"
        query = urllib.parse.urlencode({"worker_id": self.worker_id(worker), "platform_id": self.platform_id})
        status, found = call(f"{url}?{query}", token=self.platform)
        items = expect("reading the demo contracts", status, found, 200)["items"]
        mine = [c for c in items if c["engagement_type"] == engagement and c["status"] != "discarded"]
        if mine:
            contract = mine[0]
        else:
            body = contract_body(self.registration(worker), self.platform_id, engagement, today)
            status, contract = call(url, "POST", self.platform, body, f"demo-contract-{worker.username}")
            contract = expect(f"drafting {worker.username}'s contract", status, contract, 200, 201)
            self.done.append(f"{worker.username}: {engagement} {contract['contract_id']} drafted")
        if contract["status"] == "draft":
            status, contract = call(
                f"{url}/{contract['contract_id']}/send", "POST", self.platform, None, f"demo-send-{worker.username}"
            )
            contract = expect(f"sending {worker.username}'s contract", status, contract, 200)
            self.done.append(f"{worker.username}: {contract['contract_id']} sent for signing")
        return contract

    def sign_both(self, worker: DemoWorker, contract: dict) -> None:
        url = f"{self.urls['contracts']}/v1/contracts/{contract['contract_id']}/signatures"
        signers = {
            "worker": self.keys.mint("worker", subject=self.worker_id(worker)),
            "enterprise": self.platform,
        }
        for signer, token in signers.items():
            if signer in contract.get("signed_by", []):
                continue
            body = {"signer": signer, "intent": "本人已阅读并同意本协议全部条款，自愿签署。"}
            status, answer = call(url, "POST", token, body, f"demo-sign-{worker.username}-{signer}")
            expect(f"signing {worker.username}'s agreement as {signer}", status, answer, 200, 201)
        self.done.append(f"{worker.username}: {contract['contract_id']} signed by both")

    def pay(self, worker: DemoWorker, contract_id: str, today: date) -> None:
        """This month's statement so far (paid today, its due day) and a session on the month's first day
        (once it is over). Line ids per month: a restart resends them and gets the stored ones."""
        month = today.strftime("%Y-%m")
        first = today.replace(day=1)
        days = (today - first).days + 1
        wages = self.urls["wages"]
        statement = {
            "line_id": f"demo-{worker.username}-{month}",
            "contract_id": contract_id,
            "worker_id": self.worker_id(worker),
            "period_start": first.isoformat(),
            "period_end": today.isoformat(),
            "due_date": today.isoformat(),
            "gross_fen": days * 8 * 2800,
            "base_fen": days * 8 * 2800,
            "normal_hours": days * 8,
            "paid_fen": days * 8 * 2800,
            "paid_on": today.isoformat(),
            "payment_method": "bank",
        }
        worker_id = self.worker_id(worker)
        if not self.has_line(f"{wages}/v1/statements", statement["line_id"], worker_id=worker_id, period_from=first):
            status, answer = call(f"{wages}/v1/statements", "POST", self.platform, statement)
            expect(f"{worker.username}'s pay statement", status, answer, 200, 201)
            self.done.append(f"{worker.username}: pay statement {first}–{today} (paid on time)")
        started = datetime.combine(first, time(9, 0), clock.BUSINESS_TZ)
        # 3.5 hours: under the 4 hours of continuous work after which a break is due (M7.rest_break).
        ended = datetime.combine(first, time(12, 30), clock.BUSINESS_TZ)
        if clock.now() < ended:
            return  # the month's first day is not over yet: a later start adds it
        session = {
            "line_id": f"demo-{worker.username}-{month}-01",
            "worker_id": self.worker_id(worker),
            "contract_id": contract_id,
            "started_at": started.isoformat(),
            "ended_at": ended.isoformat(),
        }
        if not self.has_line(f"{wages}/v1/sessions", session["line_id"], worker_id=worker_id, work_date=first):
            status, answer = call(f"{wages}/v1/sessions", "POST", self.platform, session)
            expect(f"{worker.username}'s work session", status, answer, 200, 201)
            self.done.append(f"{worker.username}: work session on {first} (3.5 h)")

    def has_line(self, url: str, line_id: str, **query) -> bool:
        """Whether the platform already reported the line (its line id) among those `query` selects."""
        status, found = call(f"{url}?{urllib.parse.urlencode(query)}", token=self.platform)
        return any(item["line_id"] == line_id for item in expect(f"reading {url}", status, found, 200)["items"])

    def union(self, today: date) -> None:
        body = {
            "union_id": UNION_ID,
            "name": "演示平台企业工会",
            "kind": "enterprise",
            "platform_ids": [self.platform_id],
            "established_on": today.isoformat(),
        }
        token = self.keys.mint("department", subject="dev-union", department="union")
        # No Idempotency-Key: its stored answer would hide the 409 that says the union is there.
        status, answer = call(f"{self.urls['unions']}/v1/unions", "POST", token, body)
        if expect("the demo platform's union", status, answer, 201, 409) and status == 201:
            self.done.append(f"union {UNION_ID} covering {self.platform_id}")

    def notice(self) -> None:
        body = {
            "reference": NOTICE_REFERENCE,
            "kind": "insurance_enrolment",
            "title": "新就业形态劳动者参加职工养老保险、医疗保险办理指南",
            "body": "在西宁市就业的新就业形态劳动者，可持本人身份证到户籍地或就业地社保经办机构，"
            "以灵活就业人员身份参加职工基本养老保险和职工基本医疗保险，不受户籍限制。",
            "contact": "12333",
            "valid_from": "2026-01-01",
        }
        token = self.keys.mint("department", subject="dev-hrss", department="hrss")
        status, answer = call(f"{self.urls['departments']}/v1/notices", "POST", token, body)
        answer = expect("hrss's notice", status, answer, 200, 201)
        if answer.get("status") != "unchanged":
            self.done.append(f"hrss notice {NOTICE_REFERENCE} {answer.get('status') or 'published'}")


def contract_body(registration_id: str, platform_id: str, engagement: str, today: date) -> dict:
    """A contract no clause of which is refused: pay monthly by the 10th (M6), weekly rest, insurance (M9).
    Zhang's labour contract raises no finding; li's work agreement one, on the facts (M1: see below)."""
    start = today.replace(day=1)
    labour = engagement == "labor_contract"
    return {
        "registration_id": registration_id,
        "enterprise_id": platform_id,
        "engagement_type": engagement,
        "part_time": False,
        "district": "chengzhong",
        "start_date": start.isoformat(),
        "end_date": (start.replace(year=start.year + 1) - timedelta(days=1)).isoformat(),
        "terms": {
            "pay_basis": "monthly_salary" if labour else "piece_rate",
            "pay_period": "month",
            "pay_day": "每月10日",
            "base_pay_fen": 450000 if labour else None,
            "piece_rates": None if labour else {"parcel": 250},
            "hours_arrangement": "standard" if labour else "flexible",
            "rest_rules": "每周休息一日",
            "insurance": {"work_injury": labour, "occupational_injury": not labour, "accident": True},
        },
        # The same facts for both: the platform sets li's schedule and li may not refuse orders, which
        # is employment however the agreement is called — the demo's one finding (M1.misclassification).
        "engagement_facts": {
            "enterprise_sets_rules_and_discipline": True,
            "enterprise_controls_schedule": True,
            "enterprise_sets_pay": True,
            "work_is_core_business": True,
            "worker_may_refuse_orders": False,
            "worker_bears_profit_and_loss": False,
            "worker_works_elsewhere": False,
        },
        "document_text": (
            "劳动合同：甲方（演示平台）聘用乙方从事外卖配送工作，按月支付工资，每月10日发放。"
            if labour
            else "平台用工协议：乙方通过甲方（演示平台）承接快递配送订单，按件计酬，按月结算，每月10日支付。"
        ),
    }
