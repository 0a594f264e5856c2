"""The production topology generated from the registry (issue 24), checked offline: a CloudNativePG
cluster with a database and role per service and backups configured but off; Strimzi SCRAM users
whose ACLs follow what each service's code reads and writes; NetworkPolicies evaluated as a
cluster would (who may reach whom); the Ingress with TLS; autoscalers; requests and limits on every
container; restart policies and the topic-provisioning step in compose. Custom resources are
validated against the operators' own CRD schemas (crd_schemas.py)."""

from __future__ import annotations

import copy
import ipaddress
import json

import jsonschema
import pytest
import yaml

from newform_common import registry
from newform_local import deploy
from newform_local.ports import repo_root

from .crd_schemas import CRDS, validate_custom

ROOT = repo_root()
K8S = ROOT / "deploy" / "k8s"
SERVICES = registry.installed()
NAMESPACE = "newform"


def load_all(path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


@pytest.fixture(scope="module")
def manifests() -> list[dict]:
    kustomization = load_all(K8S / "kustomization.yaml")[0]
    return [doc for name in kustomization["resources"] for doc in load_all(K8S / name)]


@pytest.fixture(scope="module")
def strimzi() -> list[dict]:
    return load_all(K8S / "strimzi" / "kafka.yaml")


def of_kind(docs, kind) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


# -- the operators' schemas -------------------------------------------------------------------------


def test_the_operators_crds_cover_every_custom_resource(manifests, strimzi):
    kinds = {(d["apiVersion"], d["kind"]) for d in manifests + strimzi if CRDS.group_known(d)}
    assert kinds == {
        ("postgresql.cnpg.io/v1", "Cluster"),
        ("postgresql.cnpg.io/v1", "Database"),
        ("postgresql.cnpg.io/v1", "ScheduledBackup"),
        ("barmancloud.cnpg.io/v1", "ObjectStore"),
        ("kafka.strimzi.io/v1", "KafkaUser"),
        ("kafka.strimzi.io/v1", "Kafka"),
        ("kafka.strimzi.io/v1", "KafkaNodePool"),
        ("kafka.strimzi.io/v1", "KafkaTopic"),
    }
    for doc in manifests + strimzi:
        if CRDS.group_known(doc):
            validate_custom(doc)


def test_the_crd_validator_refuses_misplaced_fields_wrong_values_and_unserved_versions(manifests, strimzi):
    cluster = copy.deepcopy(of_kind(manifests, "Cluster")[deploy.PG_CLUSTER])
    cluster["spec"]["instance"] = 3  # misspelt
    with pytest.raises(jsonschema.ValidationError):
        validate_custom(cluster)
    cluster = copy.deepcopy(of_kind(manifests, "Cluster")[deploy.PG_CLUSTER])
    cluster["spec"]["postgresql"]["synchronous"]["method"] = "all"  # not an enum value
    with pytest.raises(jsonschema.ValidationError):
        validate_custom(cluster)
    user = copy.deepcopy(next(iter(of_kind(manifests, "KafkaUser").values())))
    user["spec"]["authorization"]["acls"][0]["operations"] = ["Writ"]
    with pytest.raises(jsonschema.ValidationError):
        validate_custom(user)
    kafka = copy.deepcopy(of_kind(strimzi, "Kafka")[deploy.STRIMZI_CLUSTER])
    kafka["apiVersion"] = "kafka.strimzi.io/v1beta2"  # removed in Strimzi 1.x
    with pytest.raises(jsonschema.ValidationError):
        validate_custom(kafka)
    kafka = copy.deepcopy(of_kind(strimzi, "Kafka")[deploy.STRIMZI_CLUSTER])
    kafka["spec"]["kafka"]["listeners"][0]["authentication"]["mechanism"] = "scram"
    with pytest.raises(jsonschema.ValidationError):
        validate_custom(kafka)


# -- PostgreSQL: CloudNativePG --------------------------------------------------------------------


def test_one_replicated_cluster_with_a_synchronous_standby(manifests):
    (cluster,) = of_kind(manifests, "Cluster").values()
    spec = cluster["spec"]
    assert spec["instances"] == 3
    sync = spec["postgresql"]["synchronous"]
    assert sync["number"] >= 1 and sync["method"] in ("any", "first") and sync["dataDurability"] == "required"
    assert spec["enableSuperuserAccess"] is False
    assert spec["affinity"]["enablePodAntiAffinity"] is True  # instances on different nodes


def test_one_database_and_one_login_role_per_service_each_reaching_only_its_own(manifests):
    (cluster,) = of_kind(manifests, "Cluster").values()
    databases = {d["spec"]["name"]: d["spec"] for d in of_kind(manifests, "Database").values()}
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    assert set(databases) == {s.database for s in SERVICES}
    assert set(roles) == {deploy.database_role(s) for s in SERVICES}
    for spec in SERVICES:
        role = roles[deploy.database_role(spec)]
        assert role["login"] is True and role["passwordSecret"] == {"name": f"newform-db-{spec.name}"}
        assert not role.get("superuser") and not role.get("createdb") and not role.get("createrole")
        assert databases[spec.database]["owner"] == role["name"]
        assert databases[spec.database]["cluster"] == {"name": cluster["metadata"]["name"]}
    # pg_hba, first match wins: each role over TLS to its own database, then every role refused elsewhere.
    hba = [line.split() for line in cluster["spec"]["postgresql"]["pg_hba"]]

    def allowed(role: str, database: str) -> bool:
        for kind, dbs, users, _address, method in hba:
            if (dbs == "all" or database in dbs.split(",")) and role in users.split(","):
                return method != "reject" and kind == "hostssl"
        raise AssertionError(f"no pg_hba line for {role} on {database}: CloudNativePG's default would let it in")

    for spec in SERVICES:
        for other in SERVICES:
            assert allowed(deploy.database_role(spec), other.database) == (spec is other)


def test_backups_to_object_storage_are_configured_but_off(manifests):
    (cluster,) = of_kind(manifests, "Cluster").values()
    (plugin,) = cluster["spec"]["plugins"]
    assert plugin["name"] == deploy.BARMAN_PLUGIN and plugin["isWALArchiver"] is True
    assert plugin["enabled"] is False  # off by default
    (store,) = of_kind(manifests, "ObjectStore").values()
    assert plugin["parameters"]["barmanObjectName"] == store["metadata"]["name"]
    configuration = store["spec"]["configuration"]
    assert configuration["destinationPath"].startswith("s3://")
    assert {v["name"] for v in configuration["s3Credentials"].values()} == {"newform-backup-s3"}
    (schedule,) = of_kind(manifests, "ScheduledBackup").values()
    assert schedule["spec"]["suspend"] is True and schedule["spec"]["method"] == "plugin"
    assert schedule["spec"]["cluster"] == {"name": cluster["metadata"]["name"]}


# -- Kafka: Strimzi, TLS, SCRAM users, ACLs ---------------------------------------------------------


def consumed_topics_in_code(spec: registry.ServiceSpec) -> set[str]:
    """What the service's code subscribes to by default, from its Settings: every `*_topic` field, the
    gateway's topic pattern (every service's topic), and the calendar listener (CALENDAR_TOPIC)."""
    import importlib

    settings = importlib.import_module(f"{spec.package}.config").Settings
    topics = set()
    for name, info in settings.model_fields.items():
        if name == "topic_pattern":
            topics |= {s.topic for s in SERVICES}
        elif name.endswith("_topic") and info.default:
            topics.add(info.default)
    if spec.name == "gateway":
        topics.discard(settings.model_fields["calendar_topic"].default)  # the gateway loads, it does not listen
    else:
        assert settings.model_fields["calendar_topic"].default == "gateway.events"
    return topics


def consumer_groups_in_code(spec: registry.ServiceSpec) -> set[str]:
    import importlib

    settings = importlib.import_module(f"{spec.package}.config").Settings
    return {info.default for name, info in settings.model_fields.items() if name == "consumer_group"}


def acl_topics(user: dict, operation: str) -> set[str]:
    return {
        a["resource"]["name"]
        for a in user["spec"]["authorization"]["acls"]
        if a["resource"]["type"] == "topic" and operation in a["operations"]
    }


def test_every_service_is_a_scram_user_writing_only_its_topic_and_reading_what_its_code_reads(manifests):
    users = of_kind(manifests, "KafkaUser")
    assert set(users) == {f"newform-{s.name}" for s in SERVICES}
    for spec in SERVICES:
        user = users[f"newform-{spec.name}"]
        assert user["metadata"]["labels"]["strimzi.io/cluster"] == deploy.STRIMZI_CLUSTER
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
        acls = user["spec"]["authorization"]["acls"]
        assert all(a["resource"]["name"] != "*" and "All" not in a["operations"] for a in acls)
        assert all(a["resource"]["patternType"] == "literal" for a in acls if a["resource"]["type"] == "topic")
        assert not any(a["resource"]["type"] in ("cluster", "transactionalId") for a in acls)
        reads = acl_topics(user, "Read")
        # What the registry line and the code say it reads, and nothing else.
        assert reads == set(deploy.reads(spec)), spec.name
        assert consumed_topics_in_code(spec) <= reads, f"{spec.name} subscribes to a topic its ACLs refuse"
        if spec.name != "gateway":
            assert "gateway.events" in reads  # holiday-schedule loads (CALENDAR_TOPIC)
        if registry.ALL_TOPICS not in spec.consumes:
            assert set(spec.consumes) <= reads
        # Writes: its own topic, and the dead-letter topic of each topic it reads (`<topic>.dlq`).
        assert acl_topics(user, "Write") == {spec.topic} | {f"{t}.dlq" for t in reads}
        writes_elsewhere = (
            acl_topics(user, "Write") - {spec.topic} - {t for t in acl_topics(user, "Write") if t.endswith(".dlq")}
        )
        assert writes_elsewhere == set()
        (group,) = [a for a in acls if a["resource"]["type"] == "group"]
        assert group["resource"] == {"type": "group", "name": spec.name, "patternType": "prefix"}
        assert all(g.startswith(spec.name) for g in consumer_groups_in_code(spec))


def test_kafka_has_only_a_tls_listener_with_scram_and_acls(strimzi, manifests):
    (kafka,) = of_kind(strimzi, "Kafka").values()
    listeners = kafka["spec"]["kafka"]["listeners"]
    assert listeners and all(
        lst["tls"] is True and lst["authentication"]["type"] == "scram-sha-512" for lst in listeners
    )
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    assert kafka["spec"]["kafka"]["config"]["auto.create.topics.enable"] is False
    # The User Operator watches the services' namespace: the password Secrets appear where they are mounted.
    assert kafka["spec"]["entityOperator"]["userOperator"]["watchedNamespace"] == NAMESPACE
    (peers,) = listeners[0]["networkPolicyPeers"]
    assert peers["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": NAMESPACE}
    for spec in SERVICES:
        pod = of_kind(manifests, "Deployment")[spec.name]["spec"]["template"]["spec"]
        env = {e["name"]: e["value"] for e in pod["containers"][0]["env"]}
        assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL" and env["KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
        assert env["KAFKA_SASL_USERNAME"] == f"newform-{spec.name}"
        sources = {
            s["secret"]["name"]: s["secret"]["items"]
            for v in pod["volumes"]
            if "projected" in v
            for s in v["projected"]["sources"]
        }
        assert sources[env["KAFKA_SASL_USERNAME"]] == [{"key": "password", "path": "kafka-password"}]
        assert env["KAFKA_SASL_PASSWORD_FILE"] == "/keys/kafka-password"
        assert env["KAFKA_SSL_CAFILE"] == "/keys/kafka-ca.crt"


# -- NetworkPolicies, evaluated -------------------------------------------------------------------


def _selects(selector: dict | None, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in (selector or {}).get("matchLabels", {}).items())


def _peer_matches(peer: dict, *, namespace: str, labels: dict, ip: str | None, own_namespace: str) -> bool:
    if "ipBlock" in peer:
        if ip is None:
            return False
        address = ipaddress.ip_address(ip)
        block = peer["ipBlock"]
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(e) for e in block.get("except", [])
        )
    if ip is not None:
        return False
    if "namespaceSelector" in peer:
        if not _selects(peer["namespaceSelector"], {"kubernetes.io/metadata.name": namespace}):
            return False
    elif namespace != own_namespace:
        return False
    return _selects(peer.get("podSelector"), labels)


def _port_matches(rule: dict, port: int, protocol: str = "TCP") -> bool:
    return not rule.get("ports") or any(
        p.get("port") == port and p.get("protocol", "TCP") == protocol for p in rule["ports"]
    )


def egress_allowed(
    policies,
    source_labels: dict,
    *,
    namespace: str,
    labels: dict | None = None,
    port: int,
    ip: str | None = None,
    protocol: str = "TCP",
) -> bool:
    """Whether a pod of the newform namespace with `source_labels` may open a connection (Kubernetes'
    semantics: the union of the policies selecting it; none with Egress = all allowed)."""
    selecting = [
        p
        for p in policies
        if "Egress" in p["spec"]["policyTypes"] and _selects(p["spec"]["podSelector"], source_labels)
    ]
    assert selecting, f"no egress policy selects {source_labels}"
    # A rule without `to` allows every destination (on its ports).
    return any(
        (peer is None or _peer_matches(peer, namespace=namespace, labels=labels or {}, ip=ip, own_namespace=NAMESPACE))
        and _port_matches(rule, port, protocol)
        for p in selecting
        for rule in p["spec"].get("egress", [])
        for peer in rule.get("to") or [None]
    )


def ingress_allowed(policies, target_labels: dict, *, namespace: str, labels: dict, port: int) -> bool:
    selecting = [
        p
        for p in policies
        if "Ingress" in p["spec"]["policyTypes"] and _selects(p["spec"]["podSelector"], target_labels)
    ]
    assert selecting
    return any(
        (peer is None or _peer_matches(peer, namespace=namespace, labels=labels, ip=None, own_namespace=NAMESPACE))
        and _port_matches(rule, port)
        for p in selecting
        for rule in p["spec"].get("ingress", [])
        for peer in rule.get("from") or [None]
    )


def test_network_policies_let_a_service_reach_its_database_kafka_and_the_identity_provider_only(manifests):
    policies = [d for d in manifests if d["kind"] == "NetworkPolicy"]
    deny = of_kind(policies, "NetworkPolicy")["default-deny"]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    db_pod = {"cnpg.io/cluster": deploy.PG_CLUSTER, "cnpg.io/instanceRole": "primary"}
    broker = {"strimzi.io/cluster": deploy.STRIMZI_CLUSTER, "strimzi.io/kind": "Kafka"}
    dns = {"k8s-app": "kube-dns"}
    idp = registry.spec(deploy.IDENTITY_PROVIDER)
    for spec in SERVICES:
        me = deploy.labels_of(spec.name)
        assert egress_allowed(policies, me, namespace=NAMESPACE, labels=db_pod, port=5432)
        assert egress_allowed(policies, me, namespace="kafka", labels=broker, port=deploy.KAFKA_TLS_PORT)
        assert not egress_allowed(policies, me, namespace="kafka", labels=broker, port=9092)  # no plain listener
        assert egress_allowed(policies, me, namespace="kube-system", labels=dns, port=53, protocol="UDP")
        if spec.name != idp.name:
            assert egress_allowed(policies, me, namespace=NAMESPACE, labels=deploy.labels_of(idp.name), port=idp.port)
        for other in SERVICES:
            if other.name not in (spec.name, idp.name) and spec.name != "gateway":  # the pass-through: below
                assert not egress_allowed(
                    policies, me, namespace=NAMESPACE, labels=deploy.labels_of(other.name), port=other.port
                ), f"{spec.name} may reach {other.name}"
        assert not egress_allowed(
            policies, me, namespace="kube-system", labels={"component": "kube-apiserver"}, port=443
        )
        assert not egress_allowed(policies, me, namespace="other", labels={"app": "postgres"}, port=5432)
        # Reached only by the ingress controller, Prometheus and the gateway (the IdP: by the services).
        assert ingress_allowed(policies, me, namespace=deploy.INGRESS_NAMESPACE, labels={}, port=spec.port)
        if spec.name not in ("gateway", "wages"):
            assert not ingress_allowed(
                policies, me, namespace=NAMESPACE, labels=deploy.labels_of("wages"), port=spec.port
            )
        assert not ingress_allowed(policies, me, namespace="default", labels={}, port=spec.port)
        assert not ingress_allowed(policies, me, namespace=deploy.INGRESS_NAMESPACE, labels={}, port=5432)
    gateway = deploy.labels_of("gateway")
    # The gateway's webhooks and credit files go to the internet over HTTPS, never into private networks.
    assert egress_allowed(policies, gateway, namespace="", ip="203.0.113.10", port=443)
    for private in ("10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "127.0.0.1"):
        assert not egress_allowed(policies, gateway, namespace="", ip=private, port=443), private
    assert not egress_allowed(policies, deploy.labels_of("wages"), namespace="", ip="203.0.113.10", port=80)
    # The database answers the services, the migration Job and the operator, nobody else.
    assert ingress_allowed(policies, db_pod, namespace=NAMESPACE, labels=deploy.labels_of("wages"), port=5432)
    assert ingress_allowed(policies, db_pod, namespace=NAMESPACE, labels=deploy.labels_of("newform-migrate"), port=5432)
    assert ingress_allowed(policies, db_pod, namespace=deploy.CNPG_OPERATOR_NAMESPACE, labels={}, port=8000)
    assert not ingress_allowed(policies, db_pod, namespace=deploy.INGRESS_NAMESPACE, labels={}, port=5432)
    assert not ingress_allowed(policies, db_pod, namespace=NAMESPACE, labels={"app": "debug"}, port=5432)
    assert egress_allowed(policies, db_pod, namespace="", ip="203.0.113.20", port=443)  # backups, API server
    assert not egress_allowed(policies, db_pod, namespace=NAMESPACE, labels=gateway, port=8000)
    migrate = deploy.labels_of("newform-migrate")
    assert egress_allowed(policies, migrate, namespace=NAMESPACE, labels=db_pod, port=5432)
    assert not egress_allowed(policies, migrate, namespace="kafka", labels=broker, port=deploy.KAFKA_TLS_PORT)


def test_the_gateway_may_reach_every_service_for_the_workers_app_and_the_services_the_issuer_outside(manifests):
    """What the workers' app needs at run time: `/app/api/contracts/v1/...` from the gateway's pod to
    contracts' pod on 8001 (egress on one side, ingress on the other), and every service fetching the
    OpenID Connect issuer's discovery document and keys over HTTPS from an outside address — but no
    service reaching a private address or a cloud's metadata endpoint that way."""
    policies = [d for d in manifests if d["kind"] == "NetworkPolicy"]
    gateway, contracts = deploy.labels_of("gateway"), deploy.labels_of("contracts")
    assert egress_allowed(policies, gateway, namespace=NAMESPACE, labels=contracts, port=8001)
    assert ingress_allowed(policies, contracts, namespace=NAMESPACE, labels=gateway, port=8001)
    assert not ingress_allowed(policies, contracts, namespace=NAMESPACE, labels=deploy.labels_of("wages"), port=8001)
    assert not egress_allowed(policies, gateway, namespace=NAMESPACE, labels=contracts, port=5432)
    for spec in SERVICES:
        me = deploy.labels_of(spec.name)
        if spec.name != "gateway":
            assert egress_allowed(policies, gateway, namespace=NAMESPACE, labels=me, port=spec.port), spec.name
            assert ingress_allowed(policies, me, namespace=NAMESPACE, labels=gateway, port=spec.port), spec.name
        assert egress_allowed(policies, me, namespace="", ip="203.0.113.10", port=443), spec.name
        for private in ("10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1"):
            assert not egress_allowed(policies, me, namespace="", ip=private, port=443), (spec.name, private)


def test_the_gateway_knows_where_each_service_is_and_every_service_which_issuer_it_trusts(manifests):
    deployments, services = of_kind(manifests, "Deployment"), of_kind(manifests, "Service")
    (gateway,) = deployments["gateway"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in gateway["env"]}
    for spec in SERVICES:
        if spec.name == "gateway":
            continue
        # The URL names the service's Service on a port it answers on, which sends to the pods' http port.
        host, port = env[f"{spec.name.upper()}_URL"].removeprefix("http://").split(":")
        (service_port,) = services[host]["spec"]["ports"]
        assert host == spec.name and int(port) == service_port["port"] and service_port["targetPort"] == "http"
        (container,) = deployments[spec.name]["spec"]["template"]["spec"]["containers"]
        assert container["ports"] == [{"containerPort": spec.port, "name": "http"}]
    config = of_kind(manifests, "ConfigMap")["newform-config"]["data"]
    assert config["OIDC_ISSUERS"] == f"https://id.{deploy.DOMAIN}/realms/newform"
    assert config["OIDC_AUDIENCE"] == "newform"
    assert "unified identity service" in (K8S / "config.yaml").read_text()  # the operator is told to change it
    for name, dep in deployments.items():
        (container,) = dep["spec"]["template"]["spec"]["containers"]
        assert {"configMapRef": {"name": "newform-config"}} in container["envFrom"], name
    # The dashboard's client secret: a file from an optional Secret (the local realm's client is public).
    assert env["DASHBOARD_CLIENT_SECRET_FILE"] == "/keys/dashboard-client-secret"
    (keys,) = [v for v in deployments["gateway"]["spec"]["template"]["spec"]["volumes"] if v["name"] == "keys"]
    (dashboard,) = [
        s["secret"] for s in keys["projected"]["sources"] if s["secret"]["name"] == "newform-dashboard-client"
    ]
    assert dashboard["optional"] is True and dashboard["items"][0]["path"] == "dashboard-client-secret"


# -- Ingress, autoscaling, resources, restarts ------------------------------------------------------


def test_the_ingress_serves_the_gateway_and_every_api_over_tls(manifests):
    (ingress,) = of_kind(manifests, "Ingress").values()
    services = of_kind(manifests, "Service")
    (tls,) = ingress["spec"]["tls"]
    rules = {r["host"]: r for r in ingress["spec"]["rules"]}
    assert set(tls["hosts"]) == set(rules) and tls["secretName"]
    backends = {r["http"]["paths"][0]["backend"]["service"]["name"] for r in rules.values()}
    assert backends == {s.name for s in SERVICES}
    for rule in rules.values():
        backend = rule["http"]["paths"][0]["backend"]["service"]
        assert backend["port"]["name"] in {p["name"] for p in services[backend["name"]]["spec"]["ports"]}
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"
    assert deploy.DOMAIN in rules  # the gateway (dashboard and API) at the domain itself


def test_every_deployment_autoscales_from_its_floor(manifests):
    deployments, hpas = of_kind(manifests, "Deployment"), of_kind(manifests, "HorizontalPodAutoscaler")
    assert set(hpas) == set(deployments)
    for name, hpa in hpas.items():
        spec = hpa["spec"]
        assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert spec["minReplicas"] >= deployments[name]["spec"]["replicas"] >= 2
        assert spec["maxReplicas"] > spec["minReplicas"]
        assert spec["metrics"][0]["resource"]["name"] == "cpu"


def _has_requests_and_limits(resources: dict) -> bool:
    return all(set(resources.get(k, {})) >= {"cpu", "memory"} for k in ("requests", "limits"))


def test_requests_and_limits_everywhere(manifests, strimzi):
    containers = [
        c for d in manifests if d["kind"] in ("Deployment", "Job") for c in d["spec"]["template"]["spec"]["containers"]
    ]
    assert len(containers) == 2 * len(SERVICES)
    assert all(_has_requests_and_limits(c["resources"]) for c in containers)
    (cluster,) = of_kind(manifests, "Cluster").values()
    assert _has_requests_and_limits(cluster["spec"]["resources"])
    for pool in of_kind(strimzi, "KafkaNodePool").values():
        assert _has_requests_and_limits(pool["spec"]["resources"])
    (kafka,) = of_kind(strimzi, "Kafka").values()
    for operator in kafka["spec"]["entityOperator"].values():
        assert _has_requests_and_limits(operator["resources"])
    # Anything else started in the namespace (by an operator, by hand) gets defaults.
    (limits,) = of_kind(manifests, "LimitRange").values()
    (default,) = limits["spec"]["limits"]
    assert set(default["default"]) == set(default["defaultRequest"]) == {"cpu", "memory"}


def test_restart_policies(manifests):
    for d in of_kind(manifests, "Deployment").values():
        assert d["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    for job in of_kind(manifests, "Job").values():
        assert job["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure" and job["spec"]["backoffLimit"] > 0


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_all(ROOT / "deploy" / "compose" / "compose.yaml")[0]


def test_compose_provisions_the_topics_before_any_service_and_restarts_what_runs(compose):
    services = compose["services"]
    topics = services["topics"]
    assert topics["command"] == [
        "newform",
        "topics",
        "--bootstrap-servers",
        services["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"].split("//")[1],
    ]
    assert topics["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    assert services["kafka"]["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    for spec in SERVICES:
        assert services[spec.name]["depends_on"]["topics"] == {"condition": "service_completed_successfully"}
    for name, service in services.items():
        one_shot = name in ("secrets-init", "migrate", "topics")
        assert service["restart"] == ("on-failure:5" if one_shot else "unless-stopped"), name
        resources = service["deploy"]["resources"]
        assert set(resources["limits"]) == set(resources["reservations"]) == {"cpus", "memory"}, name


def test_compose_gives_the_gateway_each_service_by_name_and_every_service_the_operators_issuers(compose):
    services = compose["services"]
    for spec in SERVICES:
        env = services[spec.name]["environment"]
        assert env["OIDC_ISSUERS"] == "${OIDC_ISSUERS:-}" and env["OIDC_AUDIENCE"] == "${OIDC_AUDIENCE:-newform}"
        if spec.name != "gateway":
            assert services["gateway"]["environment"][f"{spec.name.upper()}_URL"] == f"http://{spec.name}:{spec.port}"
            assert str(spec.port) in services[spec.name]["command"]  # the port the URL names is the one it serves


def test_the_topics_step_creates_what_the_kafka_users_may_use(compose, manifests):
    """`newform topics` provisions registry.topics(): every topic an ACL names exists there."""
    provisioned = set(registry.topics())
    named = {
        a["resource"]["name"]
        for u in of_kind(manifests, "KafkaUser").values()
        for a in u["spec"]["authorization"]["acls"]
        if a["resource"]["type"] == "topic"
    }
    assert named <= provisioned
    strimzi_topics = {
        d["spec"]["topicName"] for d in load_all(K8S / "strimzi" / "kafka.yaml") if d["kind"] == "KafkaTopic"
    }
    assert strimzi_topics == provisioned
    json.dumps(compose)  # plain data (no YAML anchors)
