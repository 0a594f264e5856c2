"""A verified token is remembered (the signature check is a request's costliest part of auth), but
never beyond its expiry, and a token that fails verification is never remembered."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from newform_common.auth import TokenVerifier, generate_keypair, mint_token
from newform_common.errors import Unauthorized


def test_a_remembered_token_is_refused_once_it_expires():
    private, public = generate_keypair()
    verifier = TokenVerifier(public)
    token = mint_token(private, role="platform", subject="p1", platform_id="p1", ttl=timedelta(seconds=2))
    assert verifier.verify(token).platform_id == "p1"
    assert verifier.verify(token).platform_id == "p1"  # remembered
    time.sleep(2.1)  # past its exp (whole seconds)
    with pytest.raises(Unauthorized, match="expired"):
        verifier.verify(token)


def test_a_token_signed_by_another_key_is_refused_every_time():
    private, public = generate_keypair()
    other_private, _ = generate_keypair()
    verifier = TokenVerifier(public)
    forged = mint_token(other_private, role="admin", subject="x")
    for _ in range(2):
        with pytest.raises(Unauthorized):
            verifier.verify(forged)
    assert verifier.verify(mint_token(private, role="admin", subject="x")).subject == "x"
