"""The deploy files are generated from the service registry and checked offline: Kubernetes manifests
against the bundled Kubernetes schemas (kubernetes-validate) and, for the operators' resources, the
operators' own CRD schemas (tests/deploy/crds/, see crd_schemas.py), the Compose file against the
Compose specification's schema (bundled by check-jsonschema), and each against what the services
need to start: their ports, probes, secrets readable by uid 10001, a Kafka volume where Kafka writes.
The production topology (database, Kafka users, network policies, ingress, autoscaling) is checked in
test_topology.py."""

from __future__ import annotations

import json
import re
import tomllib
from importlib import resources

import jsonschema
import kubernetes_validate
import pytest
import yaml

from newform_common import registry
from newform_common.version import project_version
from newform_local import deploy
from newform_local.ports import repo_root

from .crd_schemas import CRDS, validate_custom

ROOT = repo_root()
K8S = ROOT / "deploy" / "k8s"
SERVICES = registry.installed()


def load_all(path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


@pytest.fixture(scope="module")
def manifests() -> list[dict]:
    kustomization = load_all(K8S / "kustomization.yaml")[0]
    return [doc for name in kustomization["resources"] for doc in load_all(K8S / name)]


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_all(ROOT / "deploy" / "compose" / "compose.yaml")[0]


def test_the_committed_deploy_files_are_the_registrys():
    assert deploy.stale(ROOT) == [], "deploy/ differs from the registry: run `make deploy` and commit"


def test_every_manifest_is_valid_kubernetes(manifests):
    version = kubernetes_validate.latest_version()
    strimzi = load_all(K8S / "strimzi" / "kafka.yaml")
    for doc in manifests + strimzi:
        if CRDS.knows(doc):
            validate_custom(doc)  # the operator's CRD schema, strict: unknown fields fail
        else:
            kubernetes_validate.validate(doc, version, strict=True)  # raises on an unknown or misplaced field
    assert {d["kind"] for d in manifests} >= {
        "Namespace",
        "ConfigMap",
        "Job",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "NetworkPolicy",
        "Ingress",
        "LimitRange",
        "Cluster",
        "Database",
        "ScheduledBackup",
        "ObjectStore",
        "KafkaUser",
    }
    assert {d["kind"] for d in strimzi} == {"KafkaNodePool", "Kafka", "KafkaTopic"}


def test_the_validator_catches_a_misplaced_field(manifests):
    broken = json.loads(json.dumps(next(d for d in manifests if d["kind"] == "Deployment")))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["paht"] = "/readyz"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, kubernetes_validate.latest_version(), strict=True)


def by_kind(manifests, kind):
    return {d["metadata"]["name"]: d for d in manifests if d["kind"] == kind}


def test_every_service_runs_hardened_with_two_replicas_a_budget_and_its_probes(manifests):
    deployments, budgets = by_kind(manifests, "Deployment"), by_kind(manifests, "PodDisruptionBudget")
    assert set(deployments) == {s.name for s in SERVICES}
    for spec in SERVICES:
        d = deployments[spec.name]
        pod = d["spec"]["template"]["spec"]
        assert d["spec"]["replicas"] >= 2
        assert budgets[spec.name]["spec"]["selector"]["matchLabels"] == d["spec"]["selector"]["matchLabels"]
        assert budgets[spec.name]["spec"]["minAvailable"] == 1
        assert pod["securityContext"]["runAsUser"] == 10001 and pod["securityContext"]["runAsNonRoot"]
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        (container,) = pod["containers"]
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["ports"] == [{"containerPort": spec.port, "name": "http"}]
        assert str(spec.port) in container["command"]
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        # Every secret the service needs is mounted, and its *_FILE points at it.
        env = {e["name"]: e["value"] for e in container["env"]}
        (keys,) = [v for v in pod["volumes"] if v["name"] == "keys"]
        assert keys["projected"]["defaultMode"] == 0o400
        mounted = {item["path"] for source in keys["projected"]["sources"] for item in source["secret"]["items"]}
        for name in (*registry.COMMON_SECRETS, *spec.secrets, "DATABASE_PASSWORD"):
            assert env[f"{name}_FILE"] == f"/keys/{deploy.secret_file(name)}"
            assert deploy.secret_file(name) in mounted
        # Nothing another service owns: its own database role's and Kafka user's passwords only.
        names = {source["secret"]["name"] for source in keys["projected"]["sources"]}
        own = {"newform-dashboard-client"} if spec.name == "gateway" else set()  # optional: the gateway's own
        assert names == {"newform-keys", f"newform-db-{spec.name}", f"newform-{spec.name}", "newform-kafka-ca", *own}
        others = {n for s in SERVICES if s.name != spec.name for n in registry.spec(s.name).secrets} - set(spec.secrets)
        assert not {deploy.secret_file(n) for n in others} & mounted


def test_the_database_password_comes_from_a_secret_not_the_config(manifests):
    config = by_kind(manifests, "ConfigMap")["newform-config"]["data"]
    assert "DATABASE_URL" not in config  # each service has its own URL, role and password
    (cluster,) = by_kind(manifests, "Cluster").values()
    for spec in SERVICES:
        env = {
            e["name"]: e["value"]
            for e in by_kind(manifests, "Deployment")[spec.name]["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        url = env[f"{spec.name.upper()}_DATABASE_URL"]  # read before DATABASE_URL (newform_common.settings)
        # No password in it; the host is the CloudNativePG cluster's read-write service.
        assert url == f"postgresql://{spec.database}@{cluster['metadata']['name']}-rw.newform.svc:5432/{spec.database}"
    # Kafka is the Strimzi cluster described beside the manifests (its bootstrap service's name), TLS port.
    kafka = next(d for d in load_all(K8S / "strimzi" / "kafka.yaml") if d["kind"] == "Kafka")
    (listener,) = kafka["spec"]["kafka"]["listeners"]
    meta = kafka["metadata"]
    assert config["KAFKA_BOOTSTRAP_SERVERS"] == (
        f"{meta['name']}-kafka-bootstrap.{meta['namespace']}.svc:{listener['port']}"
    )


def test_the_migration_job_is_named_by_release_and_cleans_up_after_itself(manifests):
    (job,) = by_kind(manifests, "Job").values()
    assert job["metadata"]["name"] == f"newform-migrate-{project_version().replace('.', '-')}"
    assert job["spec"]["ttlSecondsAfterFinished"] > 0
    # One container per service, each as its own role on its own database (CloudNativePG creates them).
    pod = job["spec"]["template"]["spec"]
    containers = {c["name"]: c for c in pod["containers"]}
    assert set(containers) == {f"migrate-{s.name}" for s in SERVICES}
    volumes = {v["name"]: v for v in pod["volumes"]}
    for spec in SERVICES:
        container = containers[f"migrate-{spec.name}"]
        assert container["command"] == ["newform", "migrate", spec.name]
        (mount,) = container["volumeMounts"]
        sources = volumes[mount["name"]]["projected"]["sources"]
        assert [s["secret"]["name"] for s in sources] == [f"newform-db-{spec.name}"]


def test_the_expected_kafka_is_a_replicated_strimzi_cluster_with_every_topic():
    docs = load_all(K8S / "strimzi" / "kafka.yaml")
    kafka = next(d for d in docs if d["kind"] == "Kafka")
    assert kafka["spec"]["kafka"]["config"]["min.insync.replicas"] == 2
    topics = {d["spec"]["topicName"] for d in docs if d["kind"] == "KafkaTopic"}
    assert topics == {t for s in SERVICES for t in (s.topic, s.dead_letter_topic)}


def test_the_compose_file_is_valid_against_the_compose_specification(compose):
    schema = json.loads(
        resources.files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text()
    )
    jsonschema.validate(compose, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**compose, "services": {"x": {"image": "a", "healthcheck": {"tset": []}}}}, schema)


def test_compose_starts_each_service_on_its_port_with_readable_secrets(compose):
    services = compose["services"]
    kafka_volume = services["kafka"]["volumes"][0].split(":")[1]
    assert services["kafka"]["environment"]["KAFKA_LOG_DIRS"] == kafka_volume
    init = services["secrets-init"]
    assert init["user"] == "0" and "-o 10001" in init["entrypoint"][-1] and "-m 0400" in init["entrypoint"][-1]
    for spec in SERVICES:
        service = services[spec.name]
        assert service["environment"]["PORT"] == str(spec.port)
        assert f"127.0.0.1:{spec.port}/healthz" in service["healthcheck"]["test"][-1]
        assert str(spec.port) in service["command"] and service["ports"] == [f"{spec.port}:{spec.port}"]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        for name in (*registry.COMMON_SECRETS, *spec.secrets):
            assert service["environment"][f"{name}_FILE"].startswith("/run/newform-secrets/")
            assert deploy.secret_file(name) in init["secrets"]


def test_the_runtime_image_has_no_embedded_postgresql():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(d.startswith("pgserver") for d in project["dependencies"])
    assert "pgserver" in project["optional-dependencies"]["local"]
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert re.search(r"pip install .*-c constraints.txt \.$", dockerfile, re.M)  # no extras in the image
    assert "USER 10001" in dockerfile and 'os.environ[\\"PORT\\"]' in dockerfile
