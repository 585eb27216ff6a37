"""Masking keeps secrets out of text without ruining the text (pytest_ocpp.masking)."""

from __future__ import annotations

from pytest_ocpp import masking


def test_a_long_secret_and_its_encodings_are_masked_everywhere() -> None:
    masking.register("s3cret-Passw0rd-16")
    text = "password s3cret-Passw0rd-16 hex " + b"s3cret-Passw0rd-16".hex().upper()
    assert masking.mask(text) == "password *** hex ***"


def test_a_one_letter_secret_does_not_mask_every_word() -> None:
    """A test once registered the password "x": every later report read "e***ited"."""
    masking.register("x", "ab")
    assert masking.mask("pytest exited 1 after 78 s") == "pytest exited 1 after 78 s"
    # Where it is recognisable as a secret, it is masked whatever its length.
    assert masking.mask("Authorization: Basic eDp4") == "Authorization: Basic ***"
    frame = '[2,"1","ChangeConfiguration",{"key":"AuthorizationKey","value":"x"}]'
    assert '"value":"***"' in masking.mask_frame(frame)
