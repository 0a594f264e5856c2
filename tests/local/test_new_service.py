"""`newform new-service`: the template gives a service that migrates, starts and passes its first test."""

from __future__ import annotations

import shutil
import sys

from newform_common.testing import migrated_database, running_service
from newform_local.new_service import REGISTRY_FILE, create_service
from newform_local.ports import repo_root


async def test_a_generated_service_is_registered_migrates_starts_and_serves_findings(
    tmp_path, new_database, kafka, tokens
):
    registry_copy = tmp_path / REGISTRY_FILE.relative_to(repo_root())
    registry_copy.parent.mkdir(parents=True)
    shutil.copy(REGISTRY_FILE, registry_copy)

    written = create_service("kitdemo", 8099, "a service made from the template", root=tmp_path)

    assert 'ServiceSpec("kitdemo", 8099, ' in registry_copy.read_text()
    assert tmp_path / "services/kitdemo/newform_kitdemo/main.py" in written
    assert tmp_path / "tests/kitdemo/test_api.py" in written
    assert not list(tmp_path.rglob("*.tmpl"))
    sys.path.insert(0, str(tmp_path / "services" / "kitdemo"))
    try:
        from newform_kitdemo.config import Settings
        from newform_kitdemo.main import create_app

        url = await migrated_database(new_database, "kitdemo")
        settings = Settings(
            database_url=url, kafka_bootstrap_servers=kafka.bootstrap_servers, jwt_public_key=tokens.public_pem
        )
        assert settings.domain == "kitdemo" and settings.topic == "kitdemo.events"
        async with running_service(create_app, settings, tokens) as api:
            assert (await api.client.get("/readyz")).json()["checks"]["database"] == "ok"
            found = await api.client.get("/v1/findings", headers=api.regulator)
            assert found.status_code == 200 and found.json()["items"] == []
    finally:
        sys.path.remove(str(tmp_path / "services" / "kitdemo"))


def test_names_and_ports_already_taken_are_refused(tmp_path):
    import pytest

    with pytest.raises(ValueError, match="already in the registry"):
        create_service("contracts", 8099, "x", root=tmp_path)
    with pytest.raises(ValueError, match="port 8001"):
        create_service("other", 8001, "x", root=tmp_path)
    with pytest.raises(ValueError, match="lower-case"):
        create_service("Bad-Name", 8099, "x", root=tmp_path)
