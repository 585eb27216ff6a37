"""One frozen configuration object, built once per run.

Every setting has one name and four sources, strongest first: the command line
(``--ocpp-response-timeout``), the environment (``OCPP_RESPONSE_TIMEOUT``, for CI secrets), the
ini file (``ocpp_response_timeout``) and the TOML config file (``response_timeout``). The table
:data:`OPTIONS` is the single list the plugin registers and the README documents.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pytest_ocpp.versions import OcppVersion, get_version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


class ConfigError(Exception):
    """A setting that cannot work, explained as a sentence for the user."""


@dataclass(frozen=True)
class Option:
    name: str
    """Setting name: ``--ocpp-<name>`` with dashes, ``OCPP_<NAME>``, ``ocpp_<name>``, TOML key."""
    help: str
    default: Any = None
    kind: str = "str"  # "str" | "float" | "int" | "flag"

    @property
    def flag(self) -> str:
        return "--ocpp-" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return "OCPP_" + self.name.upper()

    @property
    def ini(self) -> str:
        return "ocpp_" + self.name


OPTIONS: tuple[Option, ...] = (
    Option("target", "URL of the CSMS under test, without the station id: ws://host:port/path"),
    Option("listen", "run the charging-station suite: HOST:PORT the fake CSMS listens on"),
    Option(
        "reference",
        "run the suites against the bundled reference CSMS and reference charging station",
        kind="flag",
    ),
    Option("version", "OCPP version(s), comma separated (1.6, 2.0.1) or all", default="1.6"),
    Option(
        "public_host",
        "host name the station under test uses to reach pytest-ocpp's file servers "
        "(firmware, diagnostics); default: the --ocpp-listen host",
    ),
    Option("config", "TOML file describing the target: id tags, stations, capabilities"),
    Option("station_id", "charging station identity used in the URL and in reports", "CP_1"),
    Option(
        "security_profile",
        "OCPP security profile of the connection: 1 (ws:// + HTTP Basic auth), 2 (wss:// + "
        "Basic auth), 3 (wss:// + client certificate); both roles (1.6 Security Whitepaper §2)",
    ),
    Option(
        "basic_auth_password",
        "HTTP Basic password (security profiles 1 and 2, the AuthorizationKey); user = station id",
    ),
    Option(
        "tls_ca_file",
        "CA bundle to verify a wss:// target; testing a station with profile 3: the CA its "
        "client certificate must chain to (default: the CA generated for the run)",
    ),
    Option("tls_cert_file", "client certificate (security profile 3)"),
    Option("tls_key_file", "private key of the client certificate"),
    Option(
        "tls_insecure",
        "do not verify the CSMS's TLS certificate (every report then says so)",
        kind="flag",
    ),
    Option(
        "tls_server_cert_file",
        "testing a station with profile 2/3: the fake CSMS's server certificate (PEM; default: "
        "one generated for the run)",
    ),
    Option("tls_server_key_file", "private key of --ocpp-tls-server-cert-file"),
    Option(
        "tls_ca_out",
        "where the CA of the certificates generated for the run is written, for the station "
        "under test to trust (default: <temp dir>/pytest-ocpp-<uid>/tls/ca.pem)",
    ),
    Option("connect_timeout", "seconds to open the websocket", 10.0, "float"),
    Option("response_timeout", "seconds the target may take to answer a request", 10.0, "float"),
    Option("message_timeout", "seconds to wait for a message the target must send", 10.0, "float"),
    Option(
        "operator_timeout",
        "seconds an operator (person or command) may take to perform an action",
        60.0,
        "float",
    ),
    Option(
        "reboot_timeout",
        "seconds a station may take to reboot and reconnect after Reset or a power cycle "
        "(OCPP sets no limit; real chargers take minutes)",
        300.0,
        "float",
    ),
    Option(
        "transfer_timeout",
        "seconds a station may take to download and install firmware or upload diagnostics",
        600.0,
        "float",
    ),
    Option(
        "case_pause",
        "seconds to wait between test cases, for targets that need time before they accept "
        "the same station id again (default 0)",
        0.0,
        "float",
    ),
    Option("case_timeout", "upper bound in seconds for one whole test case", 1800.0, "float"),
    Option(
        "csms_operator",
        "how the CSMS is made to send requests: 'prompt', a shell command (JSON on stdin), "
        "tzi-octt:http://HOST:PORT (tzi-OCTT's trigger API) or open-ocpp-tck:http://HOST:PORT "
        "(open-ocpp-tck's csms-server daemon)",
    ),
    Option(
        "station_operator",
        "how physical actions reach the station: 'prompt', a shell command (JSON on stdin) "
        "or mqtt://HOST:PORT/PREFIX (JSON on PREFIX/<station>/cmd/<action>, ack awaited)",
    ),
    Option(
        "profile",
        "run only these certification profiles, comma separated (e.g. Core,SmartCharging; "
        "names as in the summary, spaces optional, any case)",
    ),
    Option(
        "spec_url",
        "link template for cited requirements in reports, with {version}, {id} and {section} "
        "(default: the OCA's OCPP document page)",
    ),
    Option(
        "fuzz_station_actions",
        "CSMS-to-station actions the fuzz properties send a charging station, comma separated "
        "(default: a safe subset that changes nothing, see README 'Fuzzing')",
    ),
    # The ocpp_sim fixture (pytest_ocpp.sim.fixture): read there, not part of OcppConfig.
    Option(
        "sim_mqtt",
        "MQTT broker of the ocpp_sim fixture, mqtt://HOST:PORT (default: start Mosquitto)",
    ),
    Option("sim_prefix", "MQTT topic prefix of the ocpp_sim fixture", "ocpp"),
)
_BY_NAME = {o.name: o for o in OPTIONS}

ALL_VERSIONS = ("1.6", "2.0.1")
"""What ``--ocpp-version=all`` means: every version with bundled test cases. The default is
1.6 for every kind of run (a target, a listening CSMS, the references), so one command line
selects the same cases whatever it runs against."""


@dataclass(frozen=True)
class IdTags:
    """Id tags as the target under test knows them (OCTT's configuration of the SUT)."""

    valid: str = "VALID_TAG_1"
    valid_2: str = "VALID_TAG_2"
    invalid: str = "UNKNOWN_TAG"
    blocked: str = "BLOCKED_TAG"
    expired: str = "EXPIRED_TAG"
    parent: str = "GROUP_TAG"
    """The parentIdTag / groupIdToken that ``valid_with_parent`` belongs to."""
    valid_with_parent: str = "CHILD_TAG"
    valid_2_with_parent: str = "CHILD_TAG_2"
    """A second Accepted tag of ``parent``'s group (2.0.1 GroupId cases: OCTT's
    valid_idtoken2 "with the same GroupId")."""
    masterpass: str = "MASTERPASS_TAG"
    """Accepted, with groupIdToken ``masterpass_group`` (OCTT's masterpass_idtoken)."""
    masterpass_group: str = "MASTERPASS_GROUP"
    """OCTT's masterPassGroupId: the group of ``masterpass`` (2.0.1 C16)."""
    emaid: str = "NLPYTC000000010"
    """An Accepted eMAID (OCTT's <Configured eMAID>, 2.0.1 C07): the CN of the contract
    certificate."""
    types: Mapping[str, str] = field(default_factory=dict)
    """2.0.1 ``idToken.type`` per tag name (``[tags.types]``, e.g. ``valid = "Central"``);
    a tag without an entry is ``ISO14443``, OCTT's default."""

    def type_of(self, value: str) -> str:
        """The configured ``idToken.type`` of the tag whose value is ``value``."""
        for name in (
            "valid",
            "valid_2",
            "invalid",
            "blocked",
            "expired",
            "parent",
            "valid_with_parent",
            "valid_2_with_parent",
            "masterpass",
            "masterpass_group",
            "emaid",
        ):
            if getattr(self, name) == value and name in self.types:
                return self.types[name]
        if value == self.emaid:
            return "eMAID"  # a contract id is of that type, whatever the default
        return self.types.get("default", "ISO14443")


@dataclass(frozen=True)
class StationSpec:
    """A charging station's facts: what our fake station claims when testing a CSMS, what the
    station under test declares when testing a station."""

    connectors: int = 2
    vendor: str = "pytest-ocpp"
    model: str = "FakeStation"
    fixed_cable: bool = False
    connector_id: int = 1
    """OCTT's <Configured ConnectorId>: the connector every scenario uses."""
    evse_id: int = 1
    """OCTT's <Configured evseId> (2.0.1)."""
    features: tuple[str, ...] = (
        "Core",
        "FirmwareManagement",
        "LocalAuthListManagement",
        "Reservation",
        "SmartCharging",
        "RemoteTrigger",
    )
    extra: Mapping[str, Any] = field(default_factory=dict)


PROFILES_201 = (
    "Core",
    "Advanced Security",
    "Local Authorization List Management",
    "Smart Charging",
    "Advanced Device Management",
    "Reservation",
    "Advanced User Interface",
    "ISO 15118 Support",
)
"""The OCPP 2.0.1 certification profiles (Part 5 §2)."""


@dataclass(frozen=True)
class Claims:
    """What the target under test claims to implement, as in a Protocol Implementation
    Conformance Statement: the certification profiles of 2.0.1 Part 5 §2, and the optional
    features (Part 5 §3: ``C-13``, ``R-2``, ``UI-1.2`` ...), the answers to its additional
    questions (``AQ-1`` ...) and the hardware features (``HFS-1`` ...) that make a conditional
    case apply. A case the claims rule out is not applicable, with the reason; it is never run
    against a target that does not claim it.

    ``None`` (the default) claims everything: every case runs, so a target that lacks a
    feature fails its cases until the user lists what it does implement."""

    profiles: tuple[str, ...] | None = None
    features: tuple[str, ...] | None = None
    lacking: tuple[str, ...] = ()
    """Features, answers and hardware the target does not have, with ``features`` unset:
    "everything but these" (e.g. ``["AQ-2"]`` for a station without a cable lock)."""

    def has_profile(self, name: str) -> bool:
        return self.profiles is None or name in self.profiles

    def has_feature(self, feature: str) -> bool:
        if feature in self.lacking:
            return False
        return self.features is None or feature in self.features


REFERENCE_MESSAGE_TIMEOUT = 3.0
"""--ocpp-message-timeout against the embedded references when none is set: they answer in
milliseconds from inside the run, and OCTT's absence windows ("the OCTT waits <Configured
message timeout> and no X arrives") are this timeout, so the default of a real target would
make the reference run wait minutes on silence."""


def _message_timeout(value: float, reference: bool, explicit: bool) -> float:
    return REFERENCE_MESSAGE_TIMEOUT if reference and not explicit else value


@dataclass(frozen=True)
class Timeouts:
    connect: float = 10.0
    response: float = 10.0
    message: float = 10.0
    operator: float = 60.0
    case: float = 1800.0
    reboot: float = 300.0
    """A station's reboot after Reset or a power cycle (--ocpp-reboot-timeout)."""
    transfer: float = 600.0
    """A firmware download and install, a diagnostics upload (--ocpp-transfer-timeout)."""
    pause: float = 0.0
    """Pause between cases (--ocpp-case-pause)."""


@dataclass(frozen=True)
class TlsSettings:
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure: bool = False
    """--ocpp-tls-insecure: the CSMS's certificate is not verified (reports say so)."""
    server_cert_file: str | None = None
    server_key_file: str | None = None
    ca_out: str | None = None
    """Where the CA generated for the run is written (station-side profiles 2 and 3)."""
    generated: bool = False
    """The files above were generated for this run (no certificates configured)."""
    extra_server_certificates: tuple[tuple[str, str], ...] = ()
    """More (certificate, key) pairs the fake CSMS serves: the generated RSA one, so all four
    cipher suites of the whitepaper's A00.FR.317 can be negotiated."""
    client_certificate_out: tuple[str, str] | None = None
    """A generated client certificate and key for the station under test (profile 3)."""


@dataclass(frozen=True)
class OcppConfig:
    target: str | None
    listen: tuple[str, int] | None
    reference: bool
    versions: tuple[OcppVersion, ...]
    station_id: str
    basic_auth_password: str | None
    tls: TlsSettings
    timeouts: Timeouts
    tags: IdTags
    station: StationSpec
    claims: Claims
    device_model: Mapping[str, Any]
    """``[device_model]``: 2.0.1 variables of the fake station (``"Component.Variable" =
    value``, see :mod:`pytest_ocpp.station.device_model`), over its defaults."""
    csms_operator: str | None
    station_operator: str | None
    public_host: str | None
    profiles: tuple[str, ...] | None
    """``--ocpp-profile``: certification profiles to run, normalised by
    :func:`profile_key` (None: every profile)."""
    spec_url: str | None
    """``--ocpp-spec-url``: where requirement links in the reports point."""
    fuzz_station_actions: tuple[str, ...] | None
    """``--ocpp-fuzz-station-actions``: what the fuzz properties may send a station (None:
    :data:`pytest_ocpp.fuzz.rules.SAFE_CSMS_TO_STATION`)."""
    config_file: Path | None
    raw: Mapping[str, Any]
    """The whole TOML document, for scenario settings that have no typed field yet."""
    security_profile: int | None = None
    """--ocpp-security-profile: 1, 2 or 3 (1.6 Security Whitepaper §2), None: not set."""

    @property
    def active(self) -> bool:
        """Whether this run tests anything with OCPP at all (else the plugin stays out)."""
        return bool(self.target or self.listen or self.reference)

    def with_target(self, target: str) -> OcppConfig:
        from dataclasses import replace

        return replace(self, target=target)


Getter = Callable[[str], Any]


def build_config(
    cli: Getter, ini: Getter, environ: Mapping[str, str] | None = None, rootdir: Path | None = None
) -> OcppConfig:
    """Resolve every option from its four sources and check that the result can work."""
    env = os.environ if environ is None else environ

    def raw_setting(name: str, document: Mapping[str, Any]) -> Any:
        opt = _BY_NAME[name]
        for value in (cli(name), env.get(opt.env), ini(name), document.get(name)):
            if value not in (None, "", False):
                return value
        return opt.default

    config_path = raw_setting("config", {})
    document: dict[str, Any] = {}
    path = None
    if config_path:
        path = Path(config_path)
        if not path.is_absolute() and rootdir is not None and not path.exists():
            path = rootdir / path
        try:
            document = tomllib.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {config_path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {config_path} is not valid TOML: {exc}") from None
    check_document(document)
    settings = document.get("ocpp", document)
    check_settings(settings)

    def get(name: str) -> Any:
        value = raw_setting(name, settings)
        opt = _BY_NAME[name]
        try:
            if opt.kind == "float" and value is not None:
                value = float(value)
                if value < 0 or (value == 0 and name != "case_pause"):
                    raise ValueError
            if opt.kind == "flag":
                value = value in (True, "1", "true", "yes", "on")
        except (TypeError, ValueError):
            raise ConfigError(f"{opt.flag} must be a positive number, got {value!r}") from None
        return value

    def explicit(name: str) -> bool:
        """Whether any source sets ``name`` (else its default applies)."""
        opt = _BY_NAME[name]
        return any(
            value not in (None, "", False)
            for value in (cli(name), env.get(opt.env), ini(name), settings.get(name))
        )

    target = get("target")
    if target:
        _check_url(target)
    listen = _parse_listen(get("listen")) if get("listen") else None
    reference = get("reference")
    version_text = str(get("version") or "1.6")
    if version_text.strip().lower() == "all":
        version_text = ",".join(ALL_VERSIONS)
    try:
        versions = tuple(get_version(v.strip()) for v in version_text.split(",") if v.strip())
    except ValueError as exc:
        raise ConfigError(f"--ocpp-version: {exc}") from None

    security_profile = _security_profile(get("security_profile"))
    tls = TlsSettings(
        get("tls_ca_file"),
        get("tls_cert_file"),
        get("tls_key_file"),
        insecure=get("tls_insecure"),
        server_cert_file=get("tls_server_cert_file"),
        server_key_file=get("tls_server_key_file"),
        ca_out=get("tls_ca_out"),
    )
    tls = _check_security(
        security_profile,
        target,
        listen,
        reference,
        get("basic_auth_password"),
        tls,
        str(get("station_id")),
        get("public_host"),
    )

    station = _build_station(document.get("station", {}))
    device_model = _table(document, "device_model")
    # Built once here so a malformed [device_model] is a usage error before any case runs.
    from pytest_ocpp.station.device_model import DeviceModel

    DeviceModel.build(station.connectors, device_model)

    return OcppConfig(
        target=target,
        listen=listen,
        reference=reference,
        versions=versions,
        station_id=str(get("station_id")),
        basic_auth_password=get("basic_auth_password"),
        tls=tls,
        timeouts=Timeouts(
            connect=get("connect_timeout"),
            response=get("response_timeout"),
            message=_message_timeout(
                get("message_timeout"), reference, explicit("message_timeout")
            ),
            operator=get("operator_timeout"),
            case=get("case_timeout"),
            reboot=get("reboot_timeout"),
            transfer=get("transfer_timeout"),
            pause=get("case_pause"),
        ),
        tags=_build_tags(document.get("tags", {})),
        station=station,
        claims=_build_claims(_table(document, "claims")),
        device_model=device_model,
        csms_operator=get("csms_operator"),
        station_operator=get("station_operator"),
        public_host=get("public_host"),
        profiles=_profiles(get("profile")),
        spec_url=get("spec_url"),
        fuzz_station_actions=_actions(get("fuzz_station_actions")),
        config_file=path,
        raw=document,
        security_profile=security_profile,
    )


def profile_key(name: str) -> str:
    """A certification profile's name as a selection compares it: ``Smart Charging``,
    ``SmartCharging`` and ``smart_charging`` are one profile."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _profiles(value: Any) -> tuple[str, ...] | None:
    """``--ocpp-profile``: a comma-separated string or a TOML list of profile names."""
    if value is None:
        return None
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    keys = tuple(profile_key(str(item)) for item in items if profile_key(str(item)))
    return keys or None


def _actions(value: Any) -> tuple[str, ...] | None:
    """A comma-separated string (command line, environment) or a TOML list of action names."""
    if value is None:
        return None
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    names = tuple(str(item).strip() for item in items if str(item).strip())
    bad = [n for n in names if not n.isidentifier()]
    if bad:
        raise ConfigError(
            f"fuzz_station_actions: {', '.join(map(repr, bad))} is not an OCPP action name; "
            "give names such as GetConfiguration,DataTransfer"
        )
    return names or None


def _security_profile(value: Any) -> int | None:
    if value is None:
        return None
    text = str(value).strip()
    if text not in ("1", "2", "3"):
        raise ConfigError(
            f"--ocpp-security-profile must be 1, 2 or 3 (1.6 Security Whitepaper §2.1), got "
            f"{value!r}"
        )
    return int(text)


def _check_security(
    profile: int | None,
    target: str | None,
    listen: tuple[str, int] | None,
    reference: bool,
    password: str | None,
    tls: TlsSettings,
    station_id: str,
    public_host: str | None = None,
) -> TlsSettings:
    """A profile that does not fit the other settings is a usage error with one sentence
    (1.6 Security Whitepaper A00.FR.001: one profile at a time). Where the run serves TLS
    itself (testing a station, or the embedded references) and no certificate is given, a
    PKI is generated for the run; the returned settings name its files."""
    if (tls.server_cert_file is None) != (tls.server_key_file is None):
        raise ConfigError(
            "--ocpp-tls-server-cert-file and --ocpp-tls-server-key-file go together: give both"
        )
    if profile is None:
        return tls
    if profile in (1, 2) and not password:
        raise ConfigError(
            f"security profile {profile} authenticates the station with HTTP Basic auth: set "
            "--ocpp-basic-auth-password (or OCPP_BASIC_AUTH_PASSWORD)"
        )
    if target:
        scheme = urlsplit(target).scheme
        if profile == 1 and scheme == "wss":
            raise ConfigError(
                "security profile 1 is Basic auth over plain ws://, but --ocpp-target is "
                "wss://: use profile 2 or 3 for TLS, or a ws:// target"
            )
        if profile in (2, 3) and scheme != "wss":
            raise ConfigError(
                f"security profile {profile} runs over TLS, but --ocpp-target is {scheme}://: "
                "give the CSMS's wss:// URL"
            )
        if profile == 3 and not tls.cert_file:
            raise ConfigError(
                "security profile 3 authenticates the station with a TLS client certificate: "
                "set --ocpp-tls-cert-file and --ocpp-tls-key-file"
            )
    if profile == 3 and listen is not None and tls.server_cert_file and not tls.ca_file:
        raise ConfigError(
            "testing a station with security profile 3 and your own server certificate: set "
            "--ocpp-tls-ca-file to the CA the station's client certificate chains to"
        )
    serves_tls = profile in (2, 3) and (listen is not None or reference)
    needs_client = profile == 3 and reference and not target and not tls.cert_file
    if not (serves_tls and (tls.server_cert_file is None or needs_client)):
        return tls
    from dataclasses import replace

    from pytest_ocpp.security import default_ca_out, generated_files, server_hosts

    ca_out = tls.ca_out or str(default_ca_out())
    hosts = server_hosts(listen[0] if listen else "127.0.0.1", public_host)
    files = generated_files(ca_out, hosts, station_id.split(",")[0].strip())
    tls = replace(
        tls,
        ca_out=ca_out,
        generated=True,
        client_certificate_out=(files.client_cert_file, files.client_key_file),
    )
    if tls.server_cert_file is None:
        tls = replace(
            tls,
            server_cert_file=files.server_cert_file,
            server_key_file=files.server_key_file,
            extra_server_certificates=((files.server_rsa_cert_file, files.server_rsa_key_file),),
        )
    if reference and not target:
        # The embedded reference CSMS serves the generated certificate: our fake station
        # trusts its CA and, for profile 3, shows the generated client certificate.
        tls = replace(tls, ca_file=tls.ca_file or files.ca_file)
        if profile == 3 and not tls.cert_file:
            tls = replace(tls, cert_file=files.client_cert_file, key_file=files.client_key_file)
    return tls


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ConfigError(
            f"--ocpp-target {url!r} is not a websocket URL; expected ws://host:port/path or "
            "wss://host:port/path (the station id is appended by pytest-ocpp)"
        )
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ConfigError(f"--ocpp-target {url!r} has an invalid port") from None


def _parse_listen(text: str) -> tuple[str, int]:
    host, _, port = str(text).rpartition(":")
    if not port.isdigit():
        raise ConfigError(f"--ocpp-listen {text!r} must be HOST:PORT, e.g. 127.0.0.1:9000")
    return (host or "127.0.0.1").strip("[]"), int(port)


def _build(cls: type, values: Mapping[str, Any], section: str) -> Any:
    known = set(cls.__dataclass_fields__)
    unknown = set(values) - known
    if unknown:
        raise ConfigError(
            f"unknown key(s) {sorted(unknown)} in [{section}] of the config file; "
            f"known keys: {sorted(known)}"
        )
    return cls(**values)


STATION_SCENARIO_KEYS: dict[str, type | tuple[type, ...]] = {
    # [station] keys that tune the station-side scenarios (README, "The config file").
    "meter_value_sample_interval": (int, float),
    "clock_aligned_data_interval": (int, float),
    "transaction_duration": (int, float),
    "retry_backoff_wait_minimum": int,  # 2.0.1 CS offline cases (E11-E14): seconds offline
    "message_attempts_transaction_event": int,  # 2.0.1 CS retry cases (E13)
    "message_attempt_interval_transaction_event": int,  # seconds (E13)
    "offline_threshold": int,  # 2.0.1 TC_B_51/52_CS <Configured offlineThreshold> (s)
    "configuration_slot": int,  # 2.0.1 TC_B_45/46/49_CS <Configured configurationSlot>
    "configuration_slot2": int,  # ... <Configured configurationSlot2>
    "ocpp_csms_url2": str,  # ... the second endpoint (default: this one + "/alt")
    "heartbeat_interval": int,
    "unsupported_component_criteria": str,  # 2.0.1 TC_B_19_CS <Configured Unsupported componentCriteria>
    # 2.0.1 CS N monitoring (testcases/ocpp201/cs/_monitoring_support.py has the defaults).
    "monitor_severity": int,  # <Configured severity>
    "monitor_threshold_variable": str,  # <Configured threshold monitor component variable>
    "monitor_upper_trigger_value": (int, float),  # ... UpperThreshold trigger value
    "monitor_lower_trigger_value": (int, float),  # ... LowerThreshold trigger value
    "monitor_upper_non_trigger_value": (int, float),  # ... UpperThreshold non-trigger value
    "monitor_out_of_range_value": (int, float),  # ... exceeding maxLimit value (TC_N_13)
    "monitor_delta_variable": str,  # <Configured numeric delta component variable>
    "monitor_delta_value": (int, float),  # ... Delta numeric trigger value
    "monitor_non_numeric_variable": str,  # <Configured non-numeric delta component variable>
    "monitoring_unsupported_criterion": str,  # TC_N_04_CS <Configured Unsupported ...>
    "monitoring_unsupported_base": str,  # TC_N_07_CS <Configured unsupported_monitoringBase>
    "hardwired_monitor_id": int,  # TC_N_44_CS: a hard-wired monitor (AQ-5)
    "preconfigured_monitor_id": int,  # TC_N_41_CS <Configured preconfigured monitor id>
    "connection_timeout": int,
    "backup_power": bool,
    "firmware_file": str,
    "invalid_firmware_file": str,
    # CSMS-side: the file locations the CSMS under test is configured with (TC_044/045_CSMS).
    "firmware_location": str,
    "diagnostics_location": str,
    # 2.0.1 CSMS-side K SmartCharging: OCTT's <Configured ...> values of the profiles asked for.
    "charging_profile_id": int,
    "stack_level": int,
    "charging_rate_unit": str,
    "charging_schedule_duration": int,
    "number_phases": int,
    "recurrency_kind": str,
    "charging_profile_purpose": str,
    "charging_limit_source": str,
    "max_time_deviation": int,  # 2.0.1 CS K cases: <Configured max time deviation> (s)
    "stack_level2": int,  # 2.0.1 TC_K_33_CS <Configured stackLevel2>
    "charging_limit_source2": str,  # 2.0.1 TC_K_34_CS <Configured chargingLimitSource2>
    # 2.0.1 ISO 15118 (K15-K17): the mock EV's NotifyEVChargingNeedsRequest values.
    "ev_charging_needs": dict,
    "ev_max_schedule_tuples": int,
    # 2.0.1 CSMS-side L Firmware Management: OCTT's <Configured signingCertificate>, <Configured
    # signature> (PEM text or a PEM file path; base64), the MD5 checksum PublishFirmware asks
    # for, and how far ahead the scheduled retrieve/install dateTimes are asked for (s).
    "firmware_signing_certificate": str,
    "firmware_signature": str,
    "firmware_checksum": str,
    "firmware_schedule_delay": (int, float),
    # 2.0.1 CSMS-side M ISO 15118 CertificateManagement: "the configured certificate of the
    # specified certificateType" (PEM text or a PEM file path; the chain leaf first), and the
    # mock EV's Get15118EVCertificateRequest (schema version, base64 EXI requests).
    "csms_root_certificate": str,
    "manufacturer_root_certificate": str,
    "v2g_root_certificate": str,
    "mo_root_certificate": str,
    "v2g_certificate_chain": str,
    "csms_root_private_key": str,  # 2.0.1 CS M/A: signs the Charging Station certificate (PEM)
    "v2g_sub_ca_certificates": str,  # 2.0.1 CS M: SubCA2 then SubCA1, signing V2G certificates
    "v2g_sub_ca_private_key": str,  # 2.0.1 CS M: the key of the first v2g_sub_ca_certificates
    "iso15118_schema_version": str,
    "ev_certificate_install_exi_request": str,
    "ev_certificate_update_exi_request": str,
    # 2.0.1 CSMS-side H Reservation: OCTT's <Configured connectorType> (ConnectorEnumType).
    "connector_type": str,
    # 2.0.1 CSMS-side O DisplayMessage: OCTT's <Configured_Id>, <Configured Priority>, <Configured
    # State>, <Configured Format>, the message text, and the start/end dateTimes as offsets from
    # now in seconds (errata 2025-06 §6.2.111 made them offsets).
    "display_message_id": int,
    "display_message_priority": str,
    "display_message_state": str,
    "display_message_format": str,
    "display_message_content": str,
    "display_message_start_offset": (int, float),
    "display_message_end_offset": (int, float),
    # 2.0.1 CS-side O DisplayMessage (with the keys above): the second priority/state
    # (TC_O_34/35_CS), the unsupported ones (TC_O_17/18/19_CS), the display component, the
    # driver's language (TC_O_15_CS).
    "display_message_priority2": str,
    "display_message_state2": str,
    "display_message_unsupported_priority": str,
    "display_message_unsupported_state": str,
    "display_message_unsupported_format": str,
    "display_message_display": str,
    "display_message_language": str,
    # 2.0.1 CSMS-side F Remote Control: the requestedMessage TC_F_27_CSMS asks the CSMS to
    # trigger (answered NotImplemented).
    "not_implemented_trigger": str,
    # 2.0.1 CSMS-side C Authorization: OCTT's contract certificate chain for ISO 15118 Plug &
    # Charge (PEM text or a PEM file path; leaf first, then its sub-CA(s), optionally the root).
    "contract_certificate_chain": str,
    # 2.0.1 CSMS-side D Local Authorization List: OCTT's <Configured versionNumber>.
    "local_list_version": int,
    # 2.0.1 CSMS-side B Provisioning: the status the CSMS is configured to first answer in
    # TC_B_30/B_31_CSMS (Pending, or Rejected for a CSMS without Pending, Part 5 "C-44 or NOT
    # AQ-16"), and OCTT's <Configured configurationSlot/messageTimeout/ocppCsmsUrl/
    # ocppInterface/securityProfile> of the SetNetworkProfileRequest of TC_B_42/B_44_CSMS.
    "not_accepted_boot_status": str,
    "network_configuration_slot": int,
    "network_message_timeout": int,
    "network_ocpp_csms_url": str,
    "network_ocpp_interface": str,
    "network_security_profile": int,
    # 2.0.1 CSMS-side P DataTransfer: OCTT's <Configured vendorId> and <Configured messageId>
    # (TC_P_02_CSMS); the vendorId also tags the customData of TC_P_03_CSMS.
    "data_transfer_vendor_id": str,
    "data_transfer_message_id": str,
    # 2.0.1 CSMS-side E Transactions: OCTT's <Configured EV connection timeout> (s, TC_E_39).
    "ev_connection_timeout": (int, float),
    # 2.0.1 CS-side N customer information / I tariff: <Configured CustomerIdentifiers>
    # (TC_N_62_CS), <Configured Cost> (personal message text) and <Configured Cost2> (totalCost).
    "customer_identifier": str,
    "cost_message": str,
    "total_cost": (int, float),
    # 2.0.1 CSMS-side N Diagnostics: OCTT's <customer certificate hash data> (TC_N_63_CSMS: a
    # table with hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber).
    "customer_certificate_hash": dict,
    # 2.0.1 CS-side L/N (TC_L_xx, TC_N_25/26/34/35/36, TC_F_16/19): the file server's bind
    # address, OCTT's <Configured ...> firmware signature/certificate of the invalid image, the
    # install/download offsets (s), how long a transfer is kept in progress (s), the log
    # retryInterval (s), logType, and a logType the station has no information of (TC_N_34).
    "file_server_host": str,
    "file_server_port": int,
    "invalid_firmware_signature": str,
    "invalid_firmware_signing_certificate": str,
    "firmware_install_offset": (int, float),
    "firmware_download_offset": (int, float),
    "transfer_hold": (int, float),
    "log_retry_interval": int,
    "log_type": str,
    "log_type_without_logs": str,
    # 2.0.1 CS H Reservation: seconds to the expiryDateTime of TC_H_07_CS (default 3) and
    # <Configured connectorType> of TC_H_15/16_CS (default: the configured connector's).
    "reservation_expiry": int,
    "reservation_connector_type": str,
    # 1.6 CSMS-side Security Whitepaper (TC_073-TC_081): CpoName (the O of our CSR, A02.FR.13),
    # the serial number (its CN, A00.FR.511), the CPO root a signed Charge Point certificate
    # must chain to (PEM text or file), <Configured HashAlgorithm>, <Configured log location>,
    # and the station id TC_083_CSMS upgrades to profile 3 for good (A05.FR.09).
    "cpo_name": str,
    "serial_number": str,
    "cpo_root_certificate": str,
    "hash_algorithm": str,
    "log_location": str,
    "upgrade_station_id": str,
    # 2.0.1 CS-side A Security (testcases/ocpp201/cs/test_security.py): the second slot's
    # <Configured messageTimeout2/ocppInterface2/securityProfile2>, OCTT's "CSMS Keystore
    # Invalid" ([certificate, key] PEM file pairs), <Configured invalid_signingCertificate>,
    # <Configured CertSigningWaitMinimum> (s) and the long operation timeout of TC_A_19 (s).
    "message_timeout2": int,
    "ocpp_interface2": str,
    "security_profile2": int,
    "invalid_server_certificates": list,
    "invalid_signing_certificate": str,
    "cert_signing_wait_minimum": (int, float),
    "downgrade_wait": (int, float),
}


def _build_station(values: Mapping[str, Any]) -> StationSpec:
    known = set(StationSpec.__dataclass_fields__) - {"extra"}
    unknown = set(values) - known - set(STATION_SCENARIO_KEYS)
    if unknown:
        raise ConfigError(
            f"unknown key(s) {sorted(unknown)} in [station] of the config file; known keys: "
            f"{sorted(known | set(STATION_SCENARIO_KEYS))}"
        )
    for key, kind in STATION_SCENARIO_KEYS.items():
        if key in values and (
            not isinstance(values[key], kind)
            or (kind is not bool and isinstance(values[key], bool))
        ):
            raise ConfigError(f"[station] {key} has the wrong type: {values[key]!r}")
    typed = {k: v for k, v in values.items() if k in known}
    if "features" in typed:
        typed["features"] = tuple(typed["features"])
    extra = {k: v for k, v in values.items() if k in STATION_SCENARIO_KEYS}
    return StationSpec(**typed, extra=extra)


SECTIONS = ("ocpp", "tags", "station", "claims", "device_model", "load", "ocpi")
"""Top-level tables of the config file (``[load]`` is read by :mod:`pytest_ocpp.load.settings`,
``[ocpi]`` by :mod:`pytest_ocpp.ocpi.config`)."""


def check_document(document: Mapping[str, Any]) -> None:
    """Unknown keys anywhere are an error naming the key and the known ones: a typo would
    otherwise silently test the default."""
    if "ocpp" not in document:
        return  # a flat document: its keys are settings, checked below as [ocpp]
    unknown = set(document) - set(SECTIONS)
    if unknown:
        raise ConfigError(
            f"unknown table(s) {sorted(unknown)} in the config file; known tables: "
            f"{', '.join(f'[{s}]' for s in SECTIONS)}"
        )


def check_settings(settings: Mapping[str, Any]) -> None:
    names = set(_BY_NAME) - {"config"}
    unknown = set(settings) - names - set(SECTIONS)
    if unknown:
        raise ConfigError(
            f"unknown setting(s) {sorted(unknown)} in [ocpp] of the config file; known "
            f"settings: {sorted(names)}"
        )


ID_TOKEN_TYPES = (
    "Central",
    "eMAID",
    "ISO14443",
    "ISO15693",
    "KeyCode",
    "Local",
    "MacAddress",
    "NoAuthorization",
)
"""2.0.1 IdTokenEnumType (Part 2 §2.2 IdTokenType)."""


def _build_tags(values: Mapping[str, Any]) -> IdTags:
    tags = _build(IdTags, values, "tags")
    names = (set(IdTags.__dataclass_fields__) - {"types"}) | {"default"}
    for name, kind in dict(tags.types).items():
        if name not in names:
            raise ConfigError(
                f"unknown tag {name!r} in [tags.types] of the config file; known: {sorted(names)}"
            )
        if kind not in ID_TOKEN_TYPES:
            raise ConfigError(
                f"[tags.types] {name} = {kind!r} is not a 2.0.1 idToken type; "
                f"one of {', '.join(ID_TOKEN_TYPES)}"
            )
    return tags


def _table(document: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = document.get(name, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"[{name}] in the config file must be a table, got {value!r}")
    return value


FEATURE_ID = re.compile(r"^(?:[A-Z]{1,3}-\d+(?:\.\d+)?)$")
"""A Part 5 feature, question or hardware-feature id: ``C-13``, ``C-29.1``, ``AQ-6``,
``HFS-1``, ``UI-1.2``."""


def _build_claims(values: Mapping[str, Any]) -> Claims:
    claims = _build(Claims, values, "claims")
    profiles = claims.profiles
    if profiles is not None:
        if isinstance(profiles, str) or not all(isinstance(p, str) for p in profiles):
            raise ConfigError("[claims] profiles must be a list of profile names")
        unknown = sorted(set(profiles) - set(PROFILES_201))
        if unknown:
            raise ConfigError(
                f"[claims] profiles: unknown profile(s) {unknown}; the 2.0.1 certification "
                f"profiles are {', '.join(repr(p) for p in PROFILES_201)}"
            )
        profiles = tuple(profiles)
    features = claims.features
    if features is not None:
        if isinstance(features, str) or not all(isinstance(f, str) for f in features):
            raise ConfigError('[claims] features must be a list of feature ids like "C-13"')
        bad = sorted(f for f in features if not FEATURE_ID.match(f))
        if bad:
            raise ConfigError(
                f'[claims] features: {bad} are not Part 5 feature ids (e.g. "C-13", '
                '"AQ-6", "HFS-1", "UI-1.2")'
            )
        features = tuple(features)
    lacking = claims.lacking
    if isinstance(lacking, str) or not all(
        isinstance(f, str) and FEATURE_ID.match(f) for f in lacking
    ):
        raise ConfigError('[claims] lacking must be a list of feature ids like "AQ-2"')
    return Claims(profiles=profiles, features=features, lacking=tuple(lacking))
