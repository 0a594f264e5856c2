"""Where a service's database is, from the environment (database per service)."""

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
