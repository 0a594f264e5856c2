"""`redaction.mask_id_numbers`: every GB 11643-shaped run masked, nothing else touched (issue 24, 11)."""

from __future__ import annotations

import pytest

from newform_common.redaction import mask_id_numbers


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("/v1/workers/630102199001011234", "/v1/workers/630***********1234"),
        ("/v1/workers/63010219900101123X/hours", "/v1/workers/630***********123X/hours"),
        ("/v1/workers/63010219900101123x", "/v1/workers/630***********123X"),
        ("No worker registration '110105199001011235'", "No worker registration '110***********1235'"),
        ("a=630102199001011234&b=630102199001011234", "a=630***********1234&b=630***********1234"),
        ("/v1/workers/w_0123456789abcdef", "/v1/workers/w_0123456789abcdef"),
        ("17 digits 63010219900101123 and 19 digits 6301021990010112345", None),
        ("", None),
    ],
)
def test_id_number_shaped_runs_are_masked(text, masked):
    assert mask_id_numbers(text) == (text if masked is None else masked)
