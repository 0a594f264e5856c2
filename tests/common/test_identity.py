"""Identifier validation, pseudonyms, PII encryption at rest and masking."""

from __future__ import annotations

from datetime import date

import pytest

from newform_common.identity import (
    InvalidIdentifier,
    PiiCipher,
    PiiDecryptError,
    make_credit_code,
    make_resident_id,
    mask_mobile,
    mask_name,
    mask_resident_id,
    pseudonym,
    validate_credit_code,
    validate_mobile,
    validate_resident_id,
)

SAMPLE_ID = "11010519491231002X"
SAMPLE_CREDIT = "91350100M000100Y43"
KEY = b"k" * 32


def _reason(exc_info) -> str:
    return exc_info.value.reason


# -- resident ID (GB 11643) -------------------------------------------------------------------
def test_resident_id_valid_samples():
    assert validate_resident_id(SAMPLE_ID) == SAMPLE_ID
    assert validate_resident_id(" 11010519491231002x ") == SAMPLE_ID  # lower-case x normalised
    generated = make_resident_id()
    assert generated.startswith("63010219900101123") and validate_resident_id(generated) == generated
    for seq in ("001", "456", "999"):
        rid = make_resident_id("630121", date(2001, 2, 28), seq)
        assert validate_resident_id(rid) == rid


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("110105194912310021", "check_digit"),
        ("11010519491231002", "length"),
        ("11010519491231002X1", "length"),
        ("", "empty"),
        ("1101051949123100AX", "format"),
        ("11010519491331002X", "birth_date"),  # month 13
        ("91010519491231002X", "region"),
        ("01010519491231002X", "region"),
    ],
)
def test_resident_id_rejected(value, reason):
    with pytest.raises(InvalidIdentifier) as exc:
        validate_resident_id(value)
    assert _reason(exc) == reason
    assert exc.value.field == "resident_id"
    assert isinstance(exc.value, ValueError)
    assert "resident_id" in str(exc.value)


def test_resident_id_bad_dates():
    feb30 = "63010219900230123"  # no such day
    with pytest.raises(InvalidIdentifier) as exc:
        validate_resident_id(feb30 + "0")
    assert _reason(exc) == "birth_date"
    future = make_resident_id(birth=date(2030, 1, 1))
    with pytest.raises(InvalidIdentifier) as exc:
        validate_resident_id(future, today=date(2029, 12, 31))
    assert _reason(exc) == "future_birth_date"
    assert validate_resident_id(future, today=date(2030, 1, 1)) == future


def test_every_wrong_check_char_rejected():
    body = SAMPLE_ID[:17]
    for c in "0123456789X":
        if c != "X":
            with pytest.raises(InvalidIdentifier):
                validate_resident_id(body + c)


# -- unified social credit code (GB 32100) ----------------------------------------------------
def test_credit_code_valid():
    assert validate_credit_code(SAMPLE_CREDIT) == SAMPLE_CREDIT
    assert validate_credit_code(SAMPLE_CREDIT.lower()) == SAMPLE_CREDIT
    code = make_credit_code("91630100MA7Q2B3C4")
    assert len(code) == 18 and validate_credit_code(code) == code
    # check value 31 -> '0' path: find a body whose check char is '0'
    bodies = (f"9163010{n:06d}AAAA" for n in range(1000))
    assert any(make_credit_code(b).endswith("0") and validate_credit_code(make_credit_code(b)) for b in bodies)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("91350100M000100Y44", "check_digit"),
        ("91350100M000100Y4", "length"),
        ("91350100M000100I43", "charset"),  # I is not in the charset
        ("Z1350100M000100Y43", "charset"),
        ("B1350100M000100Y43", "registration_authority"),
        ("9135A100M000100Y43", "region"),
    ],
)
def test_credit_code_rejected(value, reason):
    with pytest.raises(InvalidIdentifier) as exc:
        validate_credit_code(value)
    assert _reason(exc) == reason


def test_make_credit_code_rejects_bad_body():
    with pytest.raises(ValueError):
        make_credit_code("91350100M000100O4")  # O not allowed
    with pytest.raises(ValueError):
        make_credit_code("short")


# -- mobile -----------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["13812345678", "+8613812345678", "+86 138 1234 5678", "0086-138-1234-5678"])
def test_mobile_valid(value):
    assert validate_mobile(value) == "13812345678"


@pytest.mark.parametrize(
    ("value", "reason"),
    [("12812345678", "format"), ("1381234567", "length"), ("138123456789", "length"), ("1381234567a", "format")],
)
def test_mobile_rejected(value, reason):
    with pytest.raises(InvalidIdentifier) as exc:
        validate_mobile(value)
    assert _reason(exc) == reason


# -- pseudonyms -------------------------------------------------------------------------------
def test_pseudonym_stable_and_keyed():
    p = pseudonym("worker", SAMPLE_ID, KEY)
    assert p.startswith("w_") and len(p) == 2 + 26
    assert p[2:] == p[2:].lower() and set(p[2:]) <= set("abcdefghijklmnopqrstuvwxyz234567")
    assert pseudonym("worker", SAMPLE_ID.lower(), KEY) == p  # normalised before hashing
    assert pseudonym("worker", SAMPLE_ID, b"other-key-16byte" * 2) != p
    assert pseudonym("worker", make_resident_id(), KEY) != p
    assert pseudonym("enterprise", SAMPLE_CREDIT, KEY).startswith("e_")
    with pytest.raises(InvalidIdentifier):
        pseudonym("worker", "110105194912310021", KEY)
    with pytest.raises(ValueError):
        pseudonym("worker", SAMPLE_ID, b"short")


# -- PII cipher -------------------------------------------------------------------------------
def test_cipher_round_trip_and_randomised():
    cipher = PiiCipher(KEY)
    a, b = cipher.encrypt(SAMPLE_ID), cipher.encrypt(SAMPLE_ID)
    assert a.startswith("v1:") and b.startswith("v1:")
    assert a != b
    assert SAMPLE_ID not in a
    assert cipher.decrypt(a) == cipher.decrypt(b) == SAMPLE_ID
    assert cipher.decrypt(cipher.encrypt("张三丰")) == "张三丰"
    assert cipher.lookup_hash(SAMPLE_ID) == cipher.lookup_hash(SAMPLE_ID)
    assert cipher.lookup_hash(SAMPLE_ID) != cipher.lookup_hash(make_resident_id())
    assert len(cipher.lookup_hash(SAMPLE_ID)) == 64


def test_cipher_keys_are_separated_and_bound():
    cipher = PiiCipher(KEY)
    other = PiiCipher(b"x" * 32)
    token = cipher.encrypt(SAMPLE_ID, context="workers.resident_id")
    assert cipher.decrypt(token, context="workers.resident_id") == SAMPLE_ID
    with pytest.raises(PiiDecryptError):
        cipher.decrypt(token)  # other context
    with pytest.raises(PiiDecryptError):
        other.decrypt(token, context="workers.resident_id")
    assert other.lookup_hash(SAMPLE_ID) != cipher.lookup_hash(SAMPLE_ID)
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    for bad in (tampered, "v2:" + token[3:], "garbage", "v1:"):
        with pytest.raises(PiiDecryptError):
            cipher.decrypt(bad, context="workers.resident_id")
    with pytest.raises(ValueError):
        PiiCipher(b"too short")


# -- masking ----------------------------------------------------------------------------------
def test_mask_resident_id_hides_middle():
    rid = "630102199001011234"
    masked = mask_resident_id(rid)
    assert masked == "630***********1234"
    assert len(masked) == 18
    assert "19900101" not in masked and "102" not in masked[3:]
    assert mask_resident_id(SAMPLE_ID.lower()) == "110***********002X"
    assert mask_resident_id("12345") == "*****"  # too short to show anything


def test_mask_mobile_and_name():
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_mobile("+8613812345678") == "138****5678"
    assert mask_mobile("1234") == "****"
    assert mask_name("张三丰") == "张**"
    assert mask_name("张三") == "张*"
    assert mask_name("张") == "*"
    assert mask_name("") == ""


def test_pseudonym_key_is_the_same_for_every_service_with_the_same_secret():
    from newform_common.identity import pseudonym_key

    secret = "a-shared-pii-secret-of-enough-length-0123456789"
    id_number = make_resident_id()
    in_contracts = pseudonym("worker", id_number, pseudonym_key(secret))
    in_wages = pseudonym("worker", id_number, pseudonym_key(secret))
    assert in_contracts == in_wages
    assert in_contracts != pseudonym("worker", id_number, pseudonym_key("x" * 48))


def test_derived_keys_differ_by_purpose_and_never_equal_the_secret():
    from newform_common.identity import derive_key

    secret = "a-shared-pii-secret-of-enough-length-0123456789"
    csrf, other = derive_key(secret, "dashboard csrf v1"), derive_key(secret, "something else v1")
    assert len(csrf) == 32 and csrf != other and csrf != secret.encode()[:32]
    assert derive_key(secret, "dashboard csrf v1") == csrf
