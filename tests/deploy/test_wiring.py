"""The pieces agree with each other and with the hub's code: settings, ports, hosts, secrets,
network policies, scaling triggers and scrape targets."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.deploy.conftest import REPO, SERVICES, named, of_kind, rendered, settings_of


def known_settings() -> set[str]:
    from shared.config import ENV_PREFIX, PROCESSES

    names = {f"{ENV_PREFIX[p]}_{what}" for p in PROCESSES for what in ("PORT", "METRICS_PORT")}
    names |= {f"{ENV_PREFIX[p]}_PUBLIC_URL" for p in PROCESSES}
    names |= {f"{ENV_PREFIX[s]}_DATABASE_URL" for s in SERVICES}
    source = (REPO / "shared" / "config.py").read_text()
    return names | set(re.findall(r'"((?:HUB|MOCK_IDP|IDENTITY|TRANSPARENCY)_[A-Z_]+)"', source))


def test_the_config_map_holds_only_settings_the_hub_reads(resources: list[dict[str, Any]]) -> None:
    unknown = set(settings_of(resources)) - known_settings()
    assert not unknown, f"not read by shared/config.py: {sorted(unknown)}"


def test_the_settings_load(resources: list[dict[str, Any]]) -> None:
    """The ConfigMap plus the secrets' values (stand-ins here) make valid settings."""
    from shared.config import load_settings

    env = settings_of(resources) | {
        "HUB_SUBJECT_SECRET": "stand-in-for-the-secret",
        "HUB_AMQP_URI": "amqp://user:password@hub-rabbitmq:5672/hub",
    }
    settings = load_settings(env)
    assert settings.bind_host == "0.0.0.0"
    assert settings.log_format == "json" or not settings.production
    assert settings.webhook_allow_private is False


def test_prod_is_production_without_the_mock_provider() -> None:
    resources = rendered("prod")
    settings = settings_of(resources)
    assert settings["HUB_ENV"] == "production"
    assert settings["HUB_LOG_FORMAT"] == "json"
    assert "mock-idp" not in str(resources)
    assert all(urlsplit(settings[f"{s.upper()}_PUBLIC_URL"]).scheme == "https" for s in SERVICES)


def test_dev_runs_one_replica_of_each_service() -> None:
    resources = rendered("dev")
    for name in ("identity", "petitions"):
        assert named(resources, "Deployment", name)["spec"]["replicas"] == 1
    assert named(resources, "ScaledObject", "notifications")["spec"]["minReplicaCount"] == 1


def test_prod_runs_more_replicas_with_bigger_resources() -> None:
    prod, dev = rendered("prod"), rendered("dev")
    for name in ("identity", "petitions"):
        assert named(prod, "Deployment", name)["spec"]["replicas"] >= 3
    assert named(prod, "ScaledObject", "notifications")["spec"]["minReplicaCount"] >= 3
    for name in SERVICES:
        [big] = named(prod, "Deployment", name)["spec"]["template"]["spec"]["containers"]
        [small] = named(dev, "Deployment", name)["spec"]["template"]["spec"]["containers"]
        assert big["resources"] != small["resources"]
        assert big["resources"]["limits"]["memory"] == "1Gi"


def test_prod_autoscales_the_request_serving_services_on_cpu() -> None:
    prod = rendered("prod")
    scalers = {h["metadata"]["name"]: h["spec"] for h in of_kind(prod, "HorizontalPodAutoscaler")}
    assert set(scalers) == {"identity", "petitions"}
    for name, spec in scalers.items():
        target = spec["scaleTargetRef"]
        deployment = named(prod, target["kind"], target["name"])
        assert target["name"] == name and spec["minReplicas"] >= 3
        assert spec["maxReplicas"] > deployment["spec"]["replicas"]
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert container["resources"]["requests"]["cpu"], "utilization needs a CPU request"
    assert named(prod, "ScaledObject", "notifications")["spec"]["maxReplicaCount"] >= 20
    assert not of_kind(rendered("dev"), "HorizontalPodAutoscaler")


def test_prod_ingress_has_tls_for_every_host() -> None:
    ingress = named(rendered("prod"), "Ingress", "hub")
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    assert hosts <= {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]}
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/force-ssl-redirect"]


@pytest.mark.parametrize("service", SERVICES)
def test_public_url_port_and_service_agree(resources: list[dict[str, Any]], service: str) -> None:
    settings = settings_of(resources)
    prefix = service.upper()
    host = urlsplit(settings[f"{prefix}_PUBLIC_URL"]).hostname
    [rule] = [r for r in named(resources, "Ingress", "hub")["spec"]["rules"] if r["host"] == host]
    assert rule["http"]["paths"][0]["backend"]["service"] == {
        "name": service,
        "port": {"name": "http"},
    }
    svc = named(resources, "Service", service)
    ports = {p["name"]: p["port"] for p in svc["spec"]["ports"]}
    assert ports == {
        "http": int(settings[f"{prefix}_PORT"]),
        "metrics": int(settings[f"{prefix}_METRICS_PORT"]),
    }
    [container] = named(resources, "Deployment", service)["spec"]["template"]["spec"]["containers"]
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == ports


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_reads_only_its_own_database(
    resources: list[dict[str, Any]], service: str
) -> None:
    [container] = named(resources, "Deployment", service)["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    databases = {n for n in env if n.endswith("_DATABASE_URL")}
    assert databases == {f"{service.upper()}_DATABASE_URL"}
    ref = env[f"{service.upper()}_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": f"hub-{service}-db-app", "key": "uri"}
    named(resources, "Cluster", f"hub-{service}-db")  # CloudNativePG makes hub-<svc>-db-app
    assert env["HUB_SUBJECT_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "hub-subject"
    assert env["HUB_AMQP_URI"]["value"].startswith("amqp://$(AMQP_USERNAME):$(AMQP_PASSWORD)@")
    names = [e["name"] for e in container["env"]]
    assert names.index("AMQP_PASSWORD") < names.index("HUB_AMQP_URI"), "$(VAR) needs order"


def test_secrets_only_come_from_secret_references(resources: list[dict[str, Any]]) -> None:
    secretish = re.compile(r"SECRET|PASSWORD|DATABASE_URL")
    for kind in ("Deployment", "Job"):
        for workload in of_kind(resources, kind):
            for container in workload["spec"]["template"]["spec"]["containers"]:
                for entry in container.get("env", []):
                    if secretish.search(entry["name"]):
                        assert "secretKeyRef" in entry.get("valueFrom", {}), entry["name"]
    assert not any(secretish.search(key) for key in settings_of(resources))


def test_every_hub_pod_is_isolated_by_a_network_policy(resources: list[dict[str, Any]]) -> None:
    policies = {
        p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]: p["spec"]
        for p in of_kind(resources, "NetworkPolicy")
    }
    for kind in ("Deployment", "Job"):
        for workload in of_kind(resources, kind):
            labels = workload["spec"]["template"]["metadata"]["labels"]
            spec = policies[labels["app.kubernetes.io/name"]]
            assert set(spec["policyTypes"]) == {"Ingress", "Egress"}


def _egress_ports(spec: dict[str, Any]) -> set[int]:
    return {port["port"] for rule in spec["egress"] for port in rule.get("ports", [])}


def test_network_policies_allow_what_each_service_needs(resources: list[dict[str, Any]]) -> None:
    specs = {p["metadata"]["name"]: p["spec"] for p in of_kind(resources, "NetworkPolicy")}
    for service in SERVICES:
        spec = specs[service]
        assert {53, 5672, 5432} <= _egress_ports(spec), service
        databases = {
            sel["podSelector"]["matchLabels"]["cnpg.io/cluster"]
            for rule in spec["egress"]
            for sel in rule.get("to", [])
            if "cnpg.io/cluster" in sel.get("podSelector", {}).get("matchLabels", {})
        }
        assert databases == {f"hub-{service}-db"}, f"{service} reaches {databases}"
        ingress_ports = {p["port"] for rule in spec["ingress"] for p in rule["ports"]}
        settings = settings_of(resources)
        assert {
            int(settings[f"{service.upper()}_PORT"]),
            int(settings[f"{service.upper()}_METRICS_PORT"]),
        } <= ingress_ports
    assert 8001 in _egress_ports(specs["petitions"]) and 8001 in _egress_ports(
        specs["notifications"]
    )
    assert {80, 443} <= _egress_ports(specs["notifications"])
    internet = [
        block["ipBlock"]
        for rule in specs["notifications"]["egress"]
        for block in rule.get("to", [])
        if "ipBlock" in block
    ]
    assert internet and all(
        "169.254.0.0/16" in b["except"] for b in internet if b["cidr"] == "0.0.0.0/0"
    )


# What a webhook must not reach (security finding F6): the NetworkPolicy refuses the same ranges as
# the delivery guard (is_forbidden_address in services/notifications/webhooks/domain), IPv6 forms
# included.
SSRF_TARGETS = (
    "169.254.169.254",
    "10.0.0.1",
    "127.0.0.1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::a00:1",
    "64:ff9b:1::a9fe:a9fe",
    "2002:7f00:1::",
    "2002:a9fe:a9fe::1",
    "::127.0.0.1",
    "::ffff:0:7f00:1",
    "::ffff:127.0.0.1",
    "fec0::1",
    "fd00::1",
    "fe80::1",
)


@pytest.mark.parametrize("service", ["notifications", "identity"])
def test_the_internet_egress_refuses_what_the_webhook_guard_refuses(
    resources: list[dict[str, Any]], service: str
) -> None:
    import ipaddress

    from services.notifications.webhooks.domain import is_forbidden_address

    spec = named(resources, "NetworkPolicy", service)["spec"]
    blocks = [
        block["ipBlock"]
        for rule in spec["egress"]
        for block in rule.get("to", [])
        if "ipBlock" in block
    ]
    assert blocks
    for address in SSRF_TARGETS:
        assert is_forbidden_address(address), address
        ip = ipaddress.ip_address(address)
        reachable = [
            b
            for b in blocks
            if ip in ipaddress.ip_network(b["cidr"])
            and not any(ip in ipaddress.ip_network(e) for e in b.get("except", []))
        ]
        assert not reachable, f"{service} may reach {address} through {reachable}"


def test_keda_scales_on_every_notifications_queue(resources: list[dict[str, Any]]) -> None:
    """The trigger's queue regex covers the queues nameko declares for notifications' event
    handlers, and none of another service's."""
    from services.notifications.service import NotificationsService
    from shared.bus import consumer_queues

    declared = {q.name for q in consumer_queues([NotificationsService])}
    assert declared, "notifications declares no event handler queue"
    scaled = named(resources, "ScaledObject", "notifications")["spec"]
    [trigger] = [t for t in scaled["triggers"] if t["type"] == "rabbitmq"]
    metadata = trigger["metadata"]
    assert metadata["useRegex"] == "true" and metadata["protocol"] == "http"
    pattern = re.compile(metadata["queueName"])
    assert all(pattern.fullmatch(name) for name in declared), declared
    others = ["evt-identity-client.created--petitions.on_client", "notifications.on_x", "evt-x"]
    assert not any(pattern.fullmatch(name) for name in others)
    assert metadata["host"].endswith(".svc:15672/hub")
    auth = named(resources, "TriggerAuthentication", trigger["authenticationRef"]["name"])
    assert {ref["name"] for ref in auth["spec"]["secretTargetRef"]} == {"hub-keda-amqp"}
    keda_user = named(resources, "Permission", "hub-keda-on-hub")["spec"]["permissions"]
    assert set(keda_user.values()) == {"^$"}, "KEDA's user must not touch messages"
    assert "replicas" not in named(resources, "Deployment", "notifications")["spec"]


def test_service_monitors_scrape_the_metrics_ports(resources: list[dict[str, Any]]) -> None:
    for service in SERVICES:
        monitor = named(resources, "ServiceMonitor", service)["spec"]
        assert monitor["endpoints"][0]["port"] == "metrics"
        svc = named(resources, "Service", service)
        assert monitor["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items()
    bus = named(resources, "ServiceMonitor", "hub-rabbitmq")["spec"]
    assert "/metrics/detailed" in {e["path"] for e in bus["endpoints"]}


def test_the_migration_job_runs_hub_db_upgrade(resources: list[dict[str, Any]]) -> None:
    job = named(resources, "Job", "hub-migrate")["spec"]["template"]["spec"]
    [container] = job["containers"]
    assert container["args"] == ["db", "upgrade"]
    env = {e["name"] for e in container["env"]}
    assert {f"{s.upper()}_DATABASE_URL" for s in SERVICES} <= env


def test_the_bus_and_the_databases_are_highly_available_in_prod() -> None:
    prod = rendered("prod")
    assert named(prod, "RabbitmqCluster", "hub-rabbitmq")["spec"]["replicas"] == 3
    for service in SERVICES:
        cluster = named(prod, "Cluster", f"hub-{service}-db")["spec"]
        assert cluster["instances"] == 3
        assert "barmanObjectStore" in cluster["backup"]
    assert {b["spec"]["cluster"]["name"] for b in of_kind(prod, "ScheduledBackup")} == {
        f"hub-{s}-db" for s in SERVICES
    }
