"""One frozen configuration object, built once per run.

Every setting has one name and four sources, strongest first: the command line
(``--ocpp-response-timeout``), the environment (``OCPP_RESPONSE_TIMEOUT``, for CI secrets), the
ini file (``ocpp_response_timeout``) and the TOML config file (``response_timeout``). The table
:data:`OPTIONS` is the single list the plugin registers and the README documents.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pytest_ocpp.config_tables import (
    Claims,
    ConfigError,
    IdTags,
    StationSpec,
    _build_claims,
    _build_station,
    _build_tags,
)
from pytest_ocpp.versions import OcppVersion, get_version

__all__ = [  # the tables' names stay importable from here, where most code looks for them
    "ALL_VERSIONS",
    "OPTIONS",
    "Claims",
    "ConfigError",
    "IdTags",
    "OcppConfig",
    "StationSpec",
    "Timeouts",
    "TlsSettings",
    "build_config",
    "check_document",
    "profile_key",
]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


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
        "MQTT broker of the ocpp_sim fixture, mqtt[s]://[USER:PASSWORD@]HOST:PORT (default: "
        "start Mosquitto)",
    ),
    Option("sim_prefix", "MQTT topic prefix of the ocpp_sim fixture", "ocpp"),
    # TLS files for an mqtts:// broker (ocpp_sim and the MQTT station operator).
    Option("mqtt_ca_file", "CA file verifying an mqtts:// broker (default: the system's roots)"),
    Option("mqtt_cert_file", "client certificate for an mqtts:// broker that requires one"),
    Option("mqtt_key_file", "private key of --ocpp-mqtt-cert-file"),
)
_BY_NAME = {o.name: o for o in OPTIONS}

ALL_VERSIONS = ("1.6", "2.0.1")
"""What ``--ocpp-version=all`` means: every version with bundled test cases. The default is
1.6 for every kind of run (a target, a listening CSMS, the references), so one command line
selects the same cases whatever it runs against."""


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

    def file_path(name: str) -> Any:
        """A file setting: a relative path given in the config file is relative to that
        file's directory, as ``[station]`` certificate paths are, so the file works from any
        working directory; from the command line, the environment or the ini file it stays
        relative to the working directory."""
        value = get(name)
        opt = _BY_NAME[name]
        from_file = all(
            source in (None, "", False) for source in (cli(name), env.get(opt.env), ini(name))
        )
        if value and from_file and path is not None and not Path(value).is_absolute():
            return str(path.parent / value)
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
        file_path("tls_ca_file"),
        file_path("tls_cert_file"),
        file_path("tls_key_file"),
        insecure=get("tls_insecure"),
        server_cert_file=file_path("tls_server_cert_file"),
        server_key_file=file_path("tls_server_key_file"),
        ca_out=file_path("tls_ca_out"),
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
        station_operator=_mqtt_operator(
            get("station_operator"),
            get("mqtt_ca_file"),
            get("mqtt_cert_file"),
            get("mqtt_key_file"),
        ),
        public_host=get("public_host"),
        profiles=_profiles(get("profile")),
        spec_url=get("spec_url"),
        fuzz_station_actions=_actions(get("fuzz_station_actions")),
        config_file=path,
        raw=document,
        security_profile=security_profile,
    )


def _mqtt_operator(setting: Any, ca: Any, cert: Any, key: Any) -> Any:
    """An ``mqtt(s)://`` station operator checked now (a usage error, not an error in every
    case; its password registered as a secret before anything is printed) and given the
    ``mqtt_*_file`` settings as the URL's ``?ca=&cert=&key=`` (:mod:`pytest_ocpp.sim.broker`)."""
    if not isinstance(setting, str) or not setting.startswith(("mqtt://", "mqtts://")):
        return setting
    from pytest_ocpp.sim.broker import BrokerError, with_tls_files

    try:
        return with_tls_files(setting, ca_file=ca, cert_file=cert, key_file=key)
    except BrokerError as exc:
        raise ConfigError(f"--ocpp-station-operator: {exc}") from None


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


def _table(document: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = document.get(name, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"[{name}] in the config file must be a table, got {value!r}")
    return value
