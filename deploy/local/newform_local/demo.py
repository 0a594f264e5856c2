"""Demo data for `make run`: a registered platform for the printed demo platform token."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from newform_common.identity import make_credit_code

from .keys import Keys


def seed_demo_platform(contracts_url: str, keys: Keys, platform_id: str) -> str:
    """Register `platform_id` through the contracts API (idempotent: safe on every start)."""
    body = {
        "platform_id": platform_id,
        "name": "演示平台（newform demo）",
        "credit_code": make_credit_code("91630100MA7DEM001"),
        "district": "chengzhong",
        "occupations": ["food_delivery", "courier", "ride_hailing"],
    }
    request = urllib.request.Request(
        f"{contracts_url}/v1/platforms",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {keys.mint('admin', subject='newform-dev')}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"demo-platform-{platform_id}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10):
            pass
    except urllib.error.HTTPError as exc:
        if exc.code != 409:  # already registered another way: fine
            raise SystemExit(f"could not register the demo platform: {exc.code} {exc.read()[:300]!r}") from exc
    return platform_id
