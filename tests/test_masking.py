"""Masking keeps secrets out of text without ruining the text (pytest_ocpp.masking)."""

from __future__ import annotations

import json

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


def test_a_pem_private_key_is_masked_wherever_it_appears() -> None:
    """A PEM private key block (PKCS#8, EC and RSA "traditional" headers alike) is replaced by
    its masked form, in a log line as in a JSON-escaped frame, while a certificate beside it
    is left readable: it is public, and the evidence of what was installed."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    from pytest_ocpp import pki

    root = pki.authority("pytest-ocpp masking test root")
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    keys = [
        pki.key_pem(ec_key),
        ec_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode(),
        rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode(),
    ]
    for key in keys:
        body = key.splitlines()[1]
        text = f"loaded {root.pem}and its key\n{key}done"
        masked = masking.mask(text)
        assert body not in masked, key.splitlines()[0]
        assert "PRIVATE KEY-----***-----END" in masked
        assert root.pem in masked and masked.endswith("done")
        frame = json.dumps([2, "1", "DataTransfer", {"data": key}])
        assert body not in masking.mask(frame)
