"""Where a service's database is, from the environment (database per service)."""

import certifi
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from newform_common import kafka
from newform_common.settings import ServiceSettings, database_url_for


class ContractsLike(ServiceSettings):
    service_name: str = "contracts"


def test_database_url_names_the_server_and_each_service_gets_its_own_database(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:pw@db.example:5432/postgres")
    monkeypatch.delenv("CONTRACTS_DATABASE_URL", raising=False)
    assert ContractsLike().database_url == "postgresql+asyncpg://app:pw@db.example:5432/newform_contracts"
    assert database_url_for("gateway").endswith("/newform_gateway")


def test_a_service_specific_url_wins(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db.example/postgres")
    monkeypatch.setenv("CONTRACTS_DATABASE_URL", "postgresql://c@other.example/contracts_db")
    assert ContractsLike().database_url == "postgresql+asyncpg://c@other.example/contracts_db"


def test_explicit_settings_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db.example/postgres")
    assert ContractsLike(database_url="postgresql://x@h/y").database_url == "postgresql+asyncpg://x@h/y"


def test_pii_secret_can_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "pii"
    secret.write_text("s" * 48 + "\n")
    monkeypatch.setenv("PII_SECRET_FILE", str(secret))
    assert ContractsLike().pii_secret == "s" * 48


def test_the_environment_cannot_rename_a_service(monkeypatch):
    monkeypatch.setenv("SERVICE_NAME", "billing")
    assert ContractsLike().service_name == "contracts"
    assert ContractsLike().topic == "contracts.events"


def test_the_database_password_can_come_from_a_mounted_secret(monkeypatch, tmp_path):
    secret = tmp_path / "db-password"
    secret.write_text("s3cret/with:odd@chars\n")
    monkeypatch.setenv("DATABASE_URL", "postgresql://newform@db.example:5432/postgres")
    monkeypatch.delenv("CONTRACTS_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_PASSWORD_FILE", str(secret))
    from sqlalchemy.engine import make_url

    url = make_url(ContractsLike().database_url)
    assert url.password == "s3cret/with:odd@chars" and url.username == "newform" and url.database == "newform_contracts"
    monkeypatch.setenv("DATABASE_URL", "postgresql://newform:inline@db.example:5432/postgres")
    assert make_url(ContractsLike().database_url).password == "inline"  # a URL's own password wins


async def test_kafka_clients_authenticate_the_one_way_the_environment_says(tmp_path, monkeypatch):
    """SCRAM over TLS (the Strimzi cluster deploy/k8s generates) for every producer, consumer and admin."""
    assert kafka.security_options({}) == {}  # local development: plaintext
    password = tmp_path / "password"
    password.write_text("s3cret\n")
    env = {
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_USERNAME": "wages",
        "KAFKA_SASL_PASSWORD_FILE": str(password),
        "KAFKA_SSL_CAFILE": certifi.where(),
    }
    options = kafka.security_options(env)
    assert options["security_protocol"] == "SASL_SSL" and options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "wages" and options["sasl_plain_password"] == "s3cret"
    assert options["ssl_context"].verify_mode.name == "CERT_REQUIRED"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    producer = kafka.make_producer("127.0.0.1:9093", client_id="t")
    consumer = kafka.make_consumer("127.0.0.1:9093", group_id="g", client_id="t")
    admin = kafka.make_admin("127.0.0.1:9093", client_id="t")
    assert isinstance(producer, AIOKafkaProducer) and isinstance(consumer, AIOKafkaConsumer)
    for client in (producer.client, consumer._client, admin._client):
        assert client._security_protocol == "SASL_SSL" and client._sasl_plain_username == "wages"
    await producer.stop()  # never started: releases what the constructors made
    await consumer.stop()
    with pytest.raises(ValueError, match="KAFKA_SASL_USERNAME"):
        kafka.security_options({"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT"})
    with pytest.raises(ValueError, match="PLAINTEXT"):
        kafka.security_options({"KAFKA_SECURITY_PROTOCOL": "KERBEROS"})
