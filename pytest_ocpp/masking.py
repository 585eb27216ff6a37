"""Secrets out of every artefact: traces, reports, JUnit, Allure and terminal output.

A password the user configures, an AuthorizationKey (1.6) or BasicAuthPassword (2.0.1) a case
sets, a Basic ``Authorization`` header and a PEM private key must never be readable in what a
run leaves behind (issue 17 point 5): those files are attached to tickets and CI logs. Masking
happens where text enters the record (:meth:`pytest_ocpp.trace.Trace.add`) and where pytest
builds a test report (:func:`mask_report`), so every report format, which all read those two,
inherits it. A pure module (no core imports), so the trace can use it.

Frames are masked in place, not re-serialised: the trace stays the raw evidence, with only the
secret's characters replaced.
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Iterator
from typing import Any

MASK = "***"
_BASIC = re.compile(r"(?i)(authorization\s*[:=]\s*['\"]?\s*basic\s+)[A-Za-z0-9+/=]+")
_PRIVATE_KEY = re.compile(
    r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?-----END \1PRIVATE KEY-----", re.DOTALL
)
# Configuration keys / device-model variables whose value is a secret: 1.6 Security
# Whitepaper (AuthorizationKey, write-only), 2.0.1 Part 2 SecurityCtrl.BasicAuthPassword
# (write-only) and its 1.6 naming in some stacks.
SECRET_KEYS = frozenset({"AuthorizationKey", "BasicAuthPassword"})
_MARKERS = (*SECRET_KEYS, "PRIVATE KEY")
_MIN_GLOBAL = 6
"""Secrets at least this long are masked in every later text too; a shorter value seen in a
frame is masked in that frame only (replacing "1" everywhere would ruin the trace)."""

_secrets: list[str] = []


def register(*secrets: str | None) -> None:
    """Mask ``secrets`` (and their base64 and hex forms) from now on, everywhere. A form
    shorter than ``_MIN_GLOBAL`` is not masked in free text: replacing "x" (or its hex "78")
    in every line turned "exited" into "e***ited" in a report; such a value stays masked
    where it is recognisable as a secret (a Basic header, a secret key's value in a frame).
    Real ones are longer: 2.0.1 BasicAuthPassword is 16-40 characters, a 1.6 AuthorizationKey
    at least 16 bytes."""
    for secret in secrets:
        if not secret:
            continue
        for form in _forms(secret):
            if len(form) >= _MIN_GLOBAL and form not in _secrets:
                _secrets.append(form)
    _secrets.sort(key=len, reverse=True)  # the longest first: no partial masks left behind


def _forms(secret: str) -> Iterator[str]:
    """The secret as sent in a payload or a header: as is, base64 of the user:password
    header is covered by the Basic rule, so base64 of the value alone; 1.6 AuthorizationKey
    values are hex of the password (OCTT TC_073: "OCA_OCTT_admin_test" hex encoded), so both
    directions of that encoding."""
    import base64

    yield secret
    yield base64.b64encode(secret.encode()).decode()
    yield secret.encode().hex().upper()
    yield secret.encode().hex()
    try:
        decoded = binascii.unhexlify(secret).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return
    if decoded.isprintable() and len(decoded) >= _MIN_GLOBAL:
        yield decoded


def registered() -> tuple[str, ...]:
    return tuple(_secrets)


def mask(text: str, extra: tuple[str, ...] | list[str] = ()) -> str:
    """``text`` with Basic credentials, private keys, every registered secret and ``extra``
    replaced by ``***``."""
    if not text:
        return text
    text = _BASIC.sub(lambda m: m.group(1) + MASK, text)
    if "PRIVATE KEY" in text:
        text = _PRIVATE_KEY.sub(
            f"-----BEGIN \\1PRIVATE KEY-----{MASK}-----END \\1PRIVATE KEY-----", text
        )
    for secret in (*extra, *_secrets):
        if secret and secret in text:
            text = text.replace(secret, MASK)
    return text


def mask_frame(raw: str) -> str:
    """An OCPP-J frame with the values of secret keys masked (and registered, when long enough,
    so the same value is masked wherever it shows up later: a check message, a log line)."""
    found: list[str] = []
    if any(marker in raw for marker in _MARKERS):
        try:
            message = json.loads(raw)
        except ValueError:
            message = None
        if isinstance(message, list):
            found = [value for value in _secret_values(message) if value]
    for value in found:
        if len(value) >= _MIN_GLOBAL:
            register(value)
    escaped = [json.dumps(value)[1:-1] for value in found]
    return mask(raw, escaped)


def _secret_values(node: Any) -> Iterator[str]:
    """Values of secret keys anywhere in a payload: 1.6 ``{"key": K, "value": V}``
    (ChangeConfiguration, GetConfiguration's configurationKey), 2.0.1 ``{"variable": {"name":
    K}, "attributeValue": V}`` (SetVariables / GetVariables) and ``variableAttribute[].value``
    (NotifyReport)."""
    if isinstance(node, list):
        for item in node:
            yield from _secret_values(item)
        return
    if not isinstance(node, dict):
        return
    if node.get("key") in SECRET_KEYS and isinstance(node.get("value"), str):
        yield node["value"]
    variable = node.get("variable")
    if isinstance(variable, dict) and variable.get("name") in SECRET_KEYS:
        if isinstance(node.get("attributeValue"), str):
            yield node["attributeValue"]
        for attribute in node.get("variableAttribute") or ():
            if isinstance(attribute, dict) and isinstance(attribute.get("value"), str):
                yield attribute["value"]
    for value in node.values():
        if isinstance(value, (dict, list)):
            yield from _secret_values(value)


def mask_report(report: Any) -> None:
    """Mask a pytest TestReport's failure text and captured sections in place (what JUnit,
    the terminal and every plugin reading the report show)."""
    if not _secrets:
        return
    longrepr = getattr(report, "longrepr", None)
    if longrepr is not None and not isinstance(longrepr, tuple):
        text = str(longrepr)
        masked = mask(text)
        if masked != text:
            report.longrepr = masked
    elif isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        report.longrepr = (longrepr[0], longrepr[1], mask(str(longrepr[2])))
    sections = getattr(report, "sections", None)
    if sections:
        report.sections = [(title, mask(content)) for title, content in sections]
