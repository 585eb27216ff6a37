"""The OCPI settings of a run, from the same four sources as the OCPP ones.

Strongest first: the command line (``--ocpi-token``), the environment (``OCPI_TOKEN``, where a
CI keeps the one-time token A), the ini file (``ocpi_token``) and the ``[ocpi]`` table of the
``--ocpp-config`` file (``token``). The table also names what only the CPO under test knows:
the location / EVSE / connector ids of the station pytest-ocpp plays, and the ids of Tokens the
CPO accepts.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pytest_ocpp.config import ConfigError


@dataclass(frozen=True)
class OcpiOption:
    name: str
    help: str
    default: Any = None
    kind: str = "str"  # "str" | "float"

    @property
    def flag(self) -> str:
        return "--ocpi-" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return "OCPI_" + self.name.upper()

    @property
    def ini(self) -> str:
        return "ocpi_" + self.name


OCPI_OPTIONS: tuple[OcpiOption, ...] = (
    OcpiOption(
        "target",
        "versions URL of the CPO's OCPI 2.2.1 interface under test "
        "(https://csms.example/ocpi/versions); pytest-ocpp plays the eMSP",
    ),
    OcpiOption(
        "token",
        "CREDENTIALS_TOKEN_A the CPO handed out for the registration (put it in the "
        "environment: OCPI_TOKEN)",
    ),
    OcpiOption(
        "listen",
        "HOST:PORT of pytest-ocpp's eMSP endpoints (versions, sessions, CDRs, command results) "
        "that the CPO calls back; default 127.0.0.1 and a free port",
    ),
    OcpiOption(
        "public_url",
        "base URL the CPO uses to reach those endpoints (behind NAT or a tunnel); default "
        "http://<listen host>:<port>",
    ),
    OcpiOption("response_timeout", "seconds the CPO may take to answer a request", 10.0, "float"),
    OcpiOption(
        "callback_timeout",
        "seconds to wait for a request the CPO must send us (the version fetch of the "
        "registration, a CommandResult, a Session or CDR push)",
        30.0,
        "float",
    ),
    OcpiOption("country_code", "our eMSP's country_code in the credentials roles", "NL"),
    OcpiOption("party_id", "our eMSP's party_id in the credentials roles", "PTO"),
    OcpiOption("location_id", "the CPO's Location id of the station pytest-ocpp plays"),
    OcpiOption("evse_uid", "the EVSE uid (in that Location) of the station's connector 1"),
    OcpiOption("connector_id", "the Connector id of that EVSE", "1"),
    OcpiOption("token_uid", "uid of an OCPI Token the CPO accepts (pushed to it first)"),
    OcpiOption(
        "tls_ca_file",
        "PEM file of the CA(s) that signed the CPO's https certificate (a private CA); "
        "default: the system's trust store",
    ),
)
_BY_NAME = {o.name: o for o in OCPI_OPTIONS}

REFERENCE_CALLBACK_TIMEOUT = 3.0
"""Against the embedded reference CPO every callback comes within milliseconds."""


@dataclass(frozen=True)
class OcpiConfig:
    target: str | None
    """The CPO's versions URL; None with neither --ocpi-target nor --ocpp-reference."""
    token_a: str | None
    listen: tuple[str, int]
    public_url: str | None
    response_timeout: float
    callback_timeout: float
    country_code: str
    party_id: str
    location_id: str | None
    evse_uid: str | None
    connector_id: str
    token_uid: str | None
    reference: bool
    tls_ca_file: str | None = None
    """The CA bundle httpx verifies the CPO's certificate with (None: the system's)."""

    def ssl_context(self) -> ssl.SSLContext | bool:
        """What the OCPI client verifies an https CPO with: the system's trust store, or
        ``--ocpi-tls-ca-file`` (checked when the config was built)."""
        if self.tls_ca_file is None:
            return True
        return ssl.create_default_context(cafile=self.tls_ca_file)

    @property
    def active(self) -> bool:
        """Whether this run tests an OCPI interface (else its cases are deselected)."""
        return bool(self.target or self.reference)


Getter = Callable[[str], Any]


def build_ocpi_config(
    cli: Getter,
    ini: Getter,
    table: Mapping[str, Any],
    *,
    reference: bool,
    environ: Mapping[str, str] | None = None,
) -> OcpiConfig:
    """Resolve every ``--ocpi-*`` setting; an unknown ``[ocpi]`` key is an error naming the
    known ones, as for ``[ocpp]``."""
    env = os.environ if environ is None else environ
    unknown = set(table) - set(_BY_NAME)
    if unknown:
        raise ConfigError(
            f"unknown setting(s) {sorted(unknown)} in [ocpi] of the config file; known "
            f"settings: {sorted(_BY_NAME)}"
        )

    def get(name: str) -> Any:
        opt = _BY_NAME[name]
        for value in (cli(name), env.get(opt.env), ini(name), table.get(name)):
            if value not in (None, ""):
                break
        else:
            value = opt.default
        if opt.kind == "float" and value is not None:
            try:
                value = float(value)
                if value <= 0:
                    raise ValueError
            except (TypeError, ValueError):
                raise ConfigError(f"{opt.flag} must be a positive number, got {value!r}") from None
        return value

    def explicit(name: str) -> bool:
        opt = _BY_NAME[name]
        return any(
            v not in (None, "") for v in (cli(name), env.get(opt.env), ini(name), table.get(name))
        )

    target = get("target")
    if target and urlsplit(str(target)).scheme not in ("http", "https"):
        raise ConfigError(
            f"--ocpi-target must be the CPO's versions URL (http:// or https://), got {target!r}"
        )
    if target and not get("token"):
        raise ConfigError(
            "--ocpi-target needs the CPO's registration token: --ocpi-token=TOKEN_A or the "
            "OCPI_TOKEN environment variable"
        )
    listen_text = str(get("listen") or "127.0.0.1:0")
    host, _, port = listen_text.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"--ocpi-listen must be HOST:PORT, got {listen_text!r}")
    tls_ca_file = get("tls_ca_file")
    if tls_ca_file:
        tls_ca_file = str(tls_ca_file)
        try:
            ssl.create_default_context(cafile=tls_ca_file)
        except FileNotFoundError:
            raise ConfigError(f"--ocpi-tls-ca-file {tls_ca_file!r}: no such file") from None
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"--ocpi-tls-ca-file {tls_ca_file!r} holds no usable PEM certificate "
                f"({getattr(exc, 'reason', None) or exc})"
            ) from None
    reference_run = reference and not target
    callback = get("callback_timeout")
    if reference_run and not explicit("callback_timeout"):
        callback = REFERENCE_CALLBACK_TIMEOUT
    return OcpiConfig(
        target=str(target) if target else None,
        token_a=get("token"),
        listen=(host, int(port)),
        public_url=get("public_url"),
        response_timeout=get("response_timeout"),
        callback_timeout=callback,
        country_code=str(get("country_code")),
        party_id=str(get("party_id")),
        location_id=get("location_id"),
        evse_uid=get("evse_uid"),
        connector_id=str(get("connector_id")),
        token_uid=get("token_uid"),
        reference=reference_run,
        tls_ca_file=tls_ca_file or None,
    )
