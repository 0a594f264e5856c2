"""The fault suite (`make chaos`): the event path's claims, checked from outside under faults.

It starts its own stack on free loopback ports in a temporary folder — PostgreSQL, a 3-node KRaft
cluster (replication factor 3, min.insync.replicas=2), 2 replicas of contracts and of the gateway
behind the local balancers — and, under a steady load of mixed writes against contracts (worker
registrations and contract drafts, each with an Idempotency-Key and retried with the same key
until answered), injects one fault after another:

  1. stops one Kafka node (not a partition leader's) for a while, then starts it;
  2. kill -9s the leader of a partition of contracts.events, and later starts it;
  3. kill -9s a contracts replica at random moments, several times (the supervisor restarts it);
  4. kill -9s a gateway replica the same way;
  5. stops PostgreSQL, then starts it;
  6. writes poison events onto contracts.events (no CloudEvents headers, unreadable JSON, data
     that is not an object, a known type whose data breaks its schema).

Then it stops the load, waits until everything has drained, and checks from outside:
  - every acknowledged write is in the contracts database (lost = acknowledged but absent);
  - no write took effect twice (duplicated effects: contracts carrying one write's marker more than
    once; events logged twice by the gateway);
  - every committed fact (each outbox event of contracts) is in the gateway's event log, once per
    ce_id, and the gateway's read models equal a fresh rebuild (`newform gateway rebuild --compare`);
  - nothing stays in any outbox;
  - contracts.events.dlq holds exactly the poison events.
It prints a table per fault (writes issued during it, acknowledged, lost, duplicated effects,
recovery time, longest gap without an acknowledged write) and the checks; exit status 0 when all
hold. `--short` runs the same faults with shorter outages (the CI version, inside `make test`).

Recovery time: from the moment the fault ends (the node or database is being started again; for a
kill -9, the kill itself, since the supervisor restarts the replica) until the faulted part serves
again (all partitions back to 3 in-sync replicas; the replica answering /readyz; a write
acknowledged after PostgreSQL is back; every poison event in the DLQ).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from newform_common.identity import make_resident_id
from newform_local.kafka import LocalKafkaCluster
from newform_local.ports import free_port, port_is_open
from newform_local.stack import DEMO_PLATFORM, Stack, Supervisor

from ..kit.contracts import contract_body

TOPIC = "contracts.events"


@dataclass
class Profile:
    broker_down: float
    leader_down: float
    postgres_down: float
    kills: int
    kill_window: float  # kills land at random moments in windows of this length
    baseline: float
    rate: float  # writes started per second
    replicas: int = 2


FULL = Profile(broker_down=30, leader_down=30, postgres_down=10, kills=3, kill_window=8, baseline=10, rate=15)
SHORT = Profile(broker_down=5, leader_down=5, postgres_down=5, kills=2, kill_window=3, baseline=3, rate=8)


@dataclass
class Write:
    n: int
    kind: str  # "worker" | "contract"
    phase: str
    key: str
    marker: str
    started: float
    acked_at: float | None = None
    resource_id: str | None = None
    attempts: int = 0
    last_error: str = ""


@dataclass
class Phase:
    name: str
    started: float
    ended: float = 0.0
    restored_at: float | None = None
    recovered_at: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def recovery(self) -> float | None:
        if self.recovered_at is None or self.restored_at is None:
            return None
        return max(0.0, self.recovered_at - self.restored_at)


class Chaos:
    def __init__(self, profile: Profile, seed: int):
        self.profile = profile
        self.random = random.Random(seed)
        self.folder = Path(tempfile.mkdtemp(prefix="newform-chaos-"))
        self.stack = Stack(
            self.folder / "data",
            pg_port=free_port(),
            kafka_port=_free_port_run(3),
            port_offset=_free_offset(),
            kafka_brokers=3,
            services=["gateway", "contracts"],
            replicas={"contracts": profile.replicas, "gateway": profile.replicas},
        )
        self.writes: list[Write] = []
        self.phases: list[Phase] = []
        self.phase = "start"
        self.registrations: list[str] = []
        self.poison: dict[str, str] = {}  # "topic/partition/offset" -> kind
        self.reports: list[str] = []
        self._stop_supervising = threading.Event()
        self._load_running = True
        self.t0 = time.monotonic()

    # -- output ---------------------------------------------------------------------------------
    def say(self, message: str) -> None:
        line = f"[{time.monotonic() - self.t0:6.1f}s] {message}"
        self.reports.append(line)
        print(line, flush=True)

    # -- stack ----------------------------------------------------------------------------------
    def start_stack(self) -> None:
        stack = self.stack
        self.say(
            f"starting the stack in {self.folder}: PostgreSQL, 3 Kafka nodes, "
            f"{self.profile.replicas} replicas of contracts and of the gateway"
        )
        stack.check_ports_free()
        stack.start_infrastructure()
        stack.provision_topics()
        stack.migrate()
        stack.start_services()
        stack.seed_demo()
        self.supervisor = Supervisor(stack, restart_infrastructure=False, report=self.say)
        self.supervisor_thread = threading.Thread(target=self._supervise, name="supervisor", daemon=True)
        self.supervisor_thread.start()
        self.say("stack ready")

    def _supervise(self) -> None:
        while not self._stop_supervising.is_set():
            self.supervisor.tick()
            time.sleep(0.25)

    def stop_stack(self) -> None:
        self._stop_supervising.set()
        if hasattr(self, "supervisor_thread"):
            self.supervisor_thread.join(timeout=10)
        self.stack.stop()

    @property
    def cluster(self) -> LocalKafkaCluster:
        assert isinstance(self.stack.kafka, LocalKafkaCluster)
        return self.stack.kafka

    def url(self, service: str) -> str:
        return f"http://{self.stack.host}:{self.stack.port(service)}"

    def dsn(self, service: str) -> str:
        return self.stack.postgres.url(f"newform_{service}").replace("postgresql+asyncpg://", "postgresql://")

    # -- load -----------------------------------------------------------------------------------
    async def load(self) -> None:
        token = self.stack.keys.mint("platform", subject=f"dev-{DEMO_PLATFORM}", platform_id=DEMO_PLATFORM)
        headers = {"Authorization": f"Bearer {token}"}
        limits = httpx.Limits(max_connections=16, max_keepalive_connections=8)
        async with httpx.AsyncClient(
            base_url=self.url("contracts"), headers=headers, timeout=10, limits=limits
        ) as client:
            in_flight: set[asyncio.Task] = set()
            n = 0
            interval = 1.0 / self.profile.rate
            next_at = time.monotonic()
            while self._load_running:
                n += 1
                task = asyncio.create_task(self._one_write(client, n))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                if len(in_flight) > 64:  # bounded: never pile up unbounded work while a fault lasts
                    await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            if in_flight:
                await asyncio.wait(in_flight)

    async def _one_write(self, client: httpx.AsyncClient, n: int) -> None:
        kind = "contract" if self.registrations and n % 2 == 0 else "worker"
        marker = f"chaos-{n}-{uuid.uuid4().hex[:8]}"
        write = Write(n, kind, self.phase, key=f"chaos-{marker}", marker=marker, started=time.monotonic())
        self.writes.append(write)
        if kind == "worker":
            path = "/v1/workers"
            birth = date(1970, 1, 1) + timedelta(days=n // 900)
            body = {
                "name": f"劳动者{n}",
                "id_number": make_resident_id("630102", birth, f"{n % 900 + 100:03d}"),
                "phone": "139" + f"{n:08d}",
                "occupation": "food_delivery",
                "residence_district": "chengdong",
            }
        else:
            path = "/v1/contracts"
            body = contract_body(
                self.random.choice(self.registrations),
                DEMO_PLATFORM,
                document_text=f"劳动合同 {marker}：甲方聘用乙方从事配送工作。",
            )
        deadline = time.monotonic() + 120
        backoff = 0.25
        while time.monotonic() < deadline:
            write.attempts += 1
            try:
                response = await client.post(path, json=body, headers={"Idempotency-Key": write.key})
            except httpx.HTTPError as exc:  # cut by a killed replica, refused, timed out: retry, same key
                write.last_error = type(exc).__name__
            else:
                if response.status_code in (200, 201):
                    write.acked_at = time.monotonic()
                    data = response.json()
                    write.resource_id = data.get("registration_id") if kind == "worker" else data.get("contract_id")
                    if kind == "worker":
                        self.registrations.append(write.resource_id)
                    return
                write.last_error = f"{response.status_code} {response.text[:200]}"
                if response.status_code < 500 and response.status_code not in (408, 409, 429):
                    return  # refused for good: a bug in the load, reported as unacknowledged
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 2.0)

    # -- faults ---------------------------------------------------------------------------------
    def begin(self, name: str) -> Phase:
        self.phase = name
        phase = Phase(name, time.monotonic())
        self.phases.append(phase)
        self.say(f"── {name}")
        return phase

    async def end(self, phase: Phase) -> None:
        phase.ended = time.monotonic()

    async def _isr_complete(self) -> bool:
        try:
            topics = await _describe(
                self.cluster.bootstrap_servers, [t for s in self.stack.services for t in (f"{s}.events",)]
            )
        except Exception:
            return False
        return all(len(p["isr"]) == 3 for t in topics for p in t["partitions"])

    async def _until(self, check, timeout: float = 180.0, interval: float = 0.25) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if await check():
                    return time.monotonic()
            except Exception:
                pass
            await asyncio.sleep(interval)
        return None

    async def fault_broker(self) -> None:
        phase = self.begin(f"Kafka node stopped {self.profile.broker_down:.0f} s")
        leaders = await self._leaders()
        node_id = next(
            (n.node_id for n in self.cluster.nodes if n.node_id not in leaders.values()), self.cluster.nodes[-1].node_id
        )
        node = self.cluster.node(node_id)
        await asyncio.to_thread(node.stop, 10)
        self.say(f"stopped Kafka node {node_id}")
        await asyncio.sleep(self.profile.broker_down)
        phase.restored_at = time.monotonic()  # recovery includes the node's own start-up
        await asyncio.to_thread(node.start)
        self.say(f"started Kafka node {node_id} again")
        phase.recovered_at = await self._until(self._isr_complete)
        await self.end(phase)

    async def fault_leader(self) -> None:
        phase = self.begin(f"partition leader kill -9, down {self.profile.leader_down:.0f} s")
        leaders = await self._leaders()
        node_id = leaders[0]
        node = self.cluster.node(node_id)
        await asyncio.to_thread(node.kill)
        self.say(f"kill -9 Kafka node {node_id}, leader of {TOPIC}/0")
        await asyncio.sleep(self.profile.leader_down)
        phase.restored_at = time.monotonic()  # recovery includes the node's own start-up
        await asyncio.to_thread(node.start)
        self.say(f"started Kafka node {node_id} again")
        phase.recovered_at = await self._until(self._isr_complete)
        await self.end(phase)

    async def _leaders(self) -> dict[int, int]:
        [topic] = await _describe(self.cluster.bootstrap_servers, [TOPIC])
        return {p["partition"]: p["leader"] for p in topic["partitions"]}

    async def fault_kills(self, service: str) -> None:
        phase = self.begin(f"kill -9 a {service} replica ×{self.profile.kills}")
        recoveries = []
        for _ in range(self.profile.kills):
            await asyncio.sleep(self.random.uniform(0.5, self.profile.kill_window))
            instances = [i for i in self.stack.instances.values() if i.service == service and i.alive()]
            victim = self.random.choice(instances)
            killed_at = time.monotonic()
            os.killpg(victim.proc.pid, signal.SIGKILL)
            self.say(f"kill -9 {victim.label} (pid {victim.proc.pid})")
            back = await self._until(lambda v=victim: self._instance_ready(v), timeout=120)
            if back is not None:
                recoveries.append(back - killed_at)
        phase.restored_at = 0.0
        phase.recovered_at = max(recoveries) if len(recoveries) == self.profile.kills else None
        phase.notes.append("recovery: the slowest replica's kill → /readyz again")
        await self.end(phase)

    async def _instance_ready(self, instance) -> bool:
        if not instance.alive():
            return False
        async with httpx.AsyncClient(timeout=2) as client:
            response = await client.get(f"http://{self.stack.host}:{instance.port}/readyz")
            return response.status_code == 200

    async def fault_postgres(self) -> None:
        phase = self.begin(f"PostgreSQL stopped {self.profile.postgres_down:.0f} s")
        await asyncio.to_thread(self.stack.postgres.stop)
        self.say("stopped PostgreSQL")
        await asyncio.sleep(self.profile.postgres_down)
        await asyncio.to_thread(self.stack.postgres.start)
        phase.restored_at = time.monotonic()
        self.say("started PostgreSQL again")

        async def acknowledged_since() -> bool:
            return any(w.acked_at and w.acked_at > phase.restored_at for w in self.writes)

        phase.recovered_at = await self._until(acknowledged_since)
        await self.end(phase)

    async def fault_poison(self) -> None:
        phase = self.begin("poison events")
        ce = [("ce_specversion", b"1.0"), ("ce_source", b"/newform/chaos")]
        poison = [
            ("no CloudEvents headers", b'{"worker_id": "w_poison"}', []),
            (
                "unreadable JSON",
                b"{not json",
                [*ce, ("ce_id", uuid.uuid4().hex.encode()), ("ce_type", b"contracts.worker.registered.v1")],
            ),
            (
                "data not an object",
                b"[1, 2, 3]",
                [*ce, ("ce_id", uuid.uuid4().hex.encode()), ("ce_type", b"contracts.worker.registered.v1")],
            ),
            (
                "schema broken",
                b'{"worker_id": 5}',
                [*ce, ("ce_id", uuid.uuid4().hex.encode()), ("ce_type", b"contracts.contract.signed.v1")],
            ),
        ]
        producer = AIOKafkaProducer(
            bootstrap_servers=self.cluster.bootstrap_servers, acks="all", enable_idempotence=True
        )
        await producer.start()
        try:
            for kind, value, headers in poison:
                meta = await producer.send_and_wait(TOPIC, value, key=b"w_poison", headers=headers)
                self.poison[f"{meta.topic}/{meta.partition}/{meta.offset}"] = kind
        finally:
            await producer.stop()
        phase.restored_at = time.monotonic()
        self.say(f"wrote {len(poison)} poison events: {', '.join(self.poison.values())}")

        async def all_dead_lettered() -> bool:
            return set(self.poison) <= set((await self.dead_letters()).keys())

        phase.recovered_at = await self._until(all_dead_lettered, timeout=60)
        await self.end(phase)

    async def dead_letters(self) -> dict[str, int]:
        """DLQ records of contracts.events, by their original position → how many times."""
        [topic] = await _describe(self.cluster.bootstrap_servers, [f"{TOPIC}.dlq"])
        tps = [TopicPartition(f"{TOPIC}.dlq", p["partition"]) for p in topic["partitions"]]
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.cluster.bootstrap_servers,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            group_id=None,
        )
        await consumer.start()
        found: dict[str, int] = {}
        try:
            consumer.assign(tps)
            ends = await consumer.end_offsets(tps)
            await consumer.seek_to_beginning(*tps)
            while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        original = dict(record.headers).get("dlq_original", b"?").decode()
                        found[original] = found.get(original, 0) + 1
        finally:
            await consumer.stop()
        return found

    # -- checks ---------------------------------------------------------------------------------
    async def drained(self) -> bool:
        contracts = await asyncpg.connect(self.dsn("contracts"))
        gateway = await asyncpg.connect(self.dsn("gateway"))
        try:
            backlog = await contracts.fetchval(
                "select count(*) from outbox where published_at is null"
            ) + await gateway.fetchval("select count(*) from outbox where published_at is null")
            events = {r[0] for r in await contracts.fetch("select event_id from outbox")}
            logged = {r[0] for r in await gateway.fetch("select event_id from event_log")}
        finally:
            await contracts.close()
            await gateway.close()
        return backlog == 0 and events <= logged

    async def check(self) -> tuple[dict[str, tuple[bool, str]], dict[str, dict[str, int]]]:
        contracts = await asyncpg.connect(self.dsn("contracts"))
        gateway = await asyncpg.connect(self.dsn("gateway"))
        try:
            registrations = {r[0] for r in await contracts.fetch("select id from registrations")}
            contract_markers: dict[str, int] = {}
            for (text,) in await contracts.fetch("select document_text from contracts"):
                marker = text.split(" ", 1)[1].split("：", 1)[0] if " " in text else text
                contract_markers[marker] = contract_markers.get(marker, 0) + 1
            contract_ids = {r[0] for r in await contracts.fetch("select id from contracts")}
            outbox_left = (
                await contracts.fetchval("select count(*) from outbox where published_at is null"),
                await gateway.fetchval("select count(*) from outbox where published_at is null"),
            )
            events = {r[0] for r in await contracts.fetch("select event_id from outbox")}
            logged = [r[0] for r in await gateway.fetch("select event_id from event_log")]
            gateway_contracts = {r[0] for r in await gateway.fetch("select contract_id from contracts")}
            gateway_registrations = {
                r[0] for r in await gateway.fetch("select registration_id from worker_registrations")
            }
        finally:
            await contracts.close()
            await gateway.close()

        per_phase: dict[str, dict[str, int]] = {}
        lost_total = dup_total = 0
        for write in self.writes:
            row = per_phase.setdefault(write.phase, {"writes": 0, "acknowledged": 0, "lost": 0, "duplicated": 0})
            row["writes"] += 1
            if write.acked_at is None:
                continue
            row["acknowledged"] += 1
            present = write.resource_id in (registrations if write.kind == "worker" else contract_ids)
            if not present:
                row["lost"] += 1
                lost_total += 1
            if write.kind == "contract" and contract_markers.get(write.marker, 0) > 1:
                row["duplicated"] += 1
                dup_total += 1
        # Effects nobody asked for twice: a marker in two contracts whatever its write's outcome.
        dup_any = sum(1 for count in contract_markers.values() if count > 1)
        logged_twice = len(logged) - len(set(logged))
        missing_in_gateway = events - set(logged)
        dead = await self.dead_letters()
        rebuild = await asyncio.to_thread(self.rebuild_compare)
        unacked = sum(1 for w in self.writes if w.acked_at is None)
        checks = {
            "every acknowledged write is in the contracts database": (
                lost_total == 0,
                f"lost {lost_total} of {sum(1 for w in self.writes if w.acked_at)} acknowledged"
                f" ({unacked} never acknowledged, within 120 s of retries)",
            ),
            "no write took effect twice": (dup_any == 0 and dup_total == 0, f"{dup_any} contracts duplicated"),
            "each committed fact is in the gateway's event log exactly once per ce_id": (
                not missing_in_gateway and logged_twice == 0,
                f"{len(events)} events committed; {len(missing_in_gateway)} missing, {logged_twice} twice",
            ),
            "the gateway's read models hold every contract and registration": (
                contract_ids <= gateway_contracts and registrations <= gateway_registrations,
                f"{len(contract_ids - gateway_contracts)} contracts, "
                f"{len(registrations - gateway_registrations)} registrations missing",
            ),
            "the gateway's read models equal a fresh rebuild": rebuild,
            "nothing stays in the outbox": (
                outbox_left == (0, 0),
                f"unpublished rows: contracts {outbox_left[0]}, gateway {outbox_left[1]}",
            ),
            "the DLQ holds exactly the poison events": (
                set(dead) == set(self.poison),
                f"{len(self.poison)} poison, {len(dead)} dead-lettered ({sum(dead.values())} records); "
                f"missing: {sorted(self.poison[p] for p in set(self.poison) - set(dead))}; "
                f"unexpected: {sorted(set(dead) - set(self.poison))[:5]}",
            ),
        }
        return checks, per_phase

    def rebuild_compare(self) -> tuple[bool, str]:
        env = {**self.stack.service_env(), "LOG_LEVEL": "WARNING"}
        result = subprocess.run(
            [sys.executable, "-m", "newform_local.cli", "gateway", "rebuild", "--compare"],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        try:
            summary = json.loads(result.stdout[result.stdout.index("{") :])
        except ValueError:
            return False, f"rebuild failed (exit {result.returncode}): {result.stderr[-500:]}"
        differences = summary.get("differences") or {}
        return (
            result.returncode == 0 and not differences,
            "equal"
            if not differences
            else f"differences in {sorted(differences)}: {json.dumps(differences, ensure_ascii=False)[:600]}",
        )

    # -- the run --------------------------------------------------------------------------------
    async def run(self) -> int:
        load = asyncio.create_task(self.load())
        baseline = self.begin("steady load, no fault")
        await asyncio.sleep(self.profile.baseline)
        await self.end(baseline)
        await self.fault_broker()
        await self.fault_leader()
        await self.fault_kills("contracts")
        await self.fault_kills("gateway")
        await self.fault_postgres()
        await self.fault_poison()
        self.phase = "after the faults"
        await asyncio.sleep(self.profile.baseline)
        self._load_running = False
        await load
        self.say(f"load stopped: {len(self.writes)} writes; waiting until everything has drained")
        if await self._until(self.drained, timeout=300, interval=1.0) is None:
            self.say("not drained after 300 s; checking anyway")
        checks, per_phase = await self.check()
        self.print_results(checks, per_phase)
        return 0 if all(ok for ok, _ in checks.values()) else 1

    def print_results(self, checks, per_phase) -> None:
        rows = []
        for phase in self.phases:
            counts = per_phase.get(phase.name, {"writes": 0, "acknowledged": 0, "lost": 0, "duplicated": 0})
            if phase.restored_at == 0.0:  # kills: recovery measured per kill
                recovery = f"{phase.recovered_at:.1f} s" if phase.recovered_at is not None else "not recovered"
            else:
                recovery = (
                    f"{phase.recovery:.1f} s"
                    if phase.recovery is not None
                    else ("—" if phase.restored_at is None else "not recovered")
                )
            phase_writes = [w for w in self.writes if w.phase == phase.name]
            rows.append(
                (
                    phase.name,
                    counts["writes"],
                    counts["acknowledged"],
                    counts["lost"],
                    counts["duplicated"],
                    recovery,
                    f"{_longest_gap(phase, phase_writes):.1f} s",
                )
            )
        total = {k: sum(v[k] for v in per_phase.values()) for k in ("writes", "acknowledged", "lost", "duplicated")}
        rows.append(
            (
                "all (incl. after the faults)",
                total["writes"],
                total["acknowledged"],
                total["lost"],
                total["duplicated"],
                "",
                "",
            )
        )
        header = (
            "fault",
            "writes",
            "acknowledged",
            "lost",
            "duplicated effects",
            "recovery time",
            "longest gap without an ack",
        )
        print()
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" for _ in header) + "|")
        for row in rows:
            print("| " + " | ".join(str(c) for c in row) + " |")
        print()
        for name, (ok, detail) in checks.items():
            print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
        print(flush=True)


def _longest_gap(phase: Phase, writes: list[Write]) -> float:
    acks = sorted(
        [
            phase.started,
            *(w.acked_at for w in writes if w.acked_at and w.acked_at <= phase.ended),
            phase.ended or phase.started,
        ]
    )
    return max((b - a for a, b in zip(acks, acks[1:], strict=False)), default=0.0)


async def _describe(bootstrap: str, topics: list[str]) -> list[dict]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await admin.start()
    try:
        return await admin.describe_topics(topics)
    finally:
        await admin.close()


def _free_port_run(count: int) -> int:
    """The first of `count` consecutive free ports (the cluster's client ports)."""
    for _ in range(100):
        first = free_port()
        if first + count < 65535 and all(not port_is_open("127.0.0.1", first + i) for i in range(count)):
            return first
    raise RuntimeError("no run of free ports")


def _free_offset() -> int:
    from newform_common import registry

    for _ in range(100):
        offset = free_port() - 8000
        if offset > 0 and all(not port_is_open("127.0.0.1", s.port + offset) for s in registry.SERVICES):
            return offset
    raise RuntimeError("no free port range")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make chaos", description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="shorter outages (the CI version, under 3 minutes)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the random moments (printed)")
    parser.add_argument("--keep", action="store_true", help="keep the data folder afterwards")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    chaos = Chaos(SHORT if args.short else FULL, seed)
    chaos.say(f"chaos {'short' if args.short else 'full'} run, seed {seed}")

    def interrupt(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    code = 1
    try:
        chaos.start_stack()
        code = asyncio.run(chaos.run())
    except KeyboardInterrupt:
        chaos.say("interrupted")
    finally:
        chaos.say("stopping the stack")
        chaos.stop_stack()
        if not args.keep:
            shutil.rmtree(chaos.folder, ignore_errors=True)
        chaos.say(f"done in {time.monotonic() - chaos.t0:.0f} s: {'all checks hold' if code == 0 else 'FAILED'}")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
