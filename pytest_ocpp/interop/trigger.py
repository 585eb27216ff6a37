"""CSMS operators for the trigger APIs CSMS teams already serve.

A CSMS wired to another suite already has an HTTP way to make it send a CSMS-initiated
request. Speaking those APIs lets such a CSMS run our CSMS-side suite with no glue:

* ``--ocpp-csms-operator=tzi-octt:http://HOST:5001`` — tzi-OCTT's trigger API (its README,
  "CSMS Trigger Server"): ``POST {base}/api/octt/{1.6|2.0.1}/{station}/{route}`` with the OCPP
  payload as the body. 1.6: the kebab-case action routes its 1.6 README lists. 2.0.1: what
  tzi-OCTT's own 2.0.1 CSMS serves, which is not one kebab route per action (see
  :data:`TZI_ROUTES_201`): the generic ``call/{Action}``, and the dedicated routes that carry
  the whole payload.
* ``--ocpp-csms-operator=open-ocpp-tck:http://HOST:8787`` — open-ocpp-tck's ``csms-server``
  daemon (``packages/csms-driver/server/README.md``): ``POST
  /v1/charge-points/{id}/operations/{operation}`` with the driver contract's body
  (``CsmsOperation16`` without ``action``), OCPP 1.6 only. Its vocabulary is shaped like the
  OCPP payloads but names a transaction, reservation or charging profile by the CSMS's own
  handle; a payload it cannot carry (a charging profile *object*) is not applicable.

Both keep the operator contract (:mod:`pytest_ocpp.operators`): an action the API cannot
express is not applicable, with the reason; an HTTP error, a refused connection or a timeout
is an operator error (:class:`~pytest_ocpp.verdicts.OperatorFailed`), never a verdict on the
CSMS, which is judged only by what arrives on the wire. The TCK's own codes keep their meaning:
501 ``unsupported_capability`` is not applicable, 502 and 504 are operator errors. Any 2xx is
"done", whatever its body: tzi-OCTT answers 200 even when the station did not answer within
its own 10 s, and the TCK's 202 means dispatched, not answered; the case sees the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pytest_ocpp.fuzz.rules import STATION_TO_CSMS
from pytest_ocpp.operators import ApiPerformer
from pytest_ocpp.schemas import schema_set
from pytest_ocpp.verdicts import NotApplicable, OperatorFailed
from pytest_ocpp.versions import get_version

if TYPE_CHECKING:
    import httpx

TZI, TCK = "tzi-octt", "open-ocpp-tck"
NAMES = {TZI: "tzi-OCTT", TCK: "open-ocpp-tck"}

TZI_ACTIONS_16 = frozenset(
    {
        # tzi-OCTT 1.6/README.md, "Trigger API endpoints" -> action table.
        "RemoteStartTransaction",
        "RemoteStopTransaction",
        "Reset",
        "UnlockConnector",
        "GetConfiguration",
        "ChangeConfiguration",
        "ChangeAvailability",
        "ReserveNow",
        "CancelReservation",
        "TriggerMessage",
        "ExtendedTriggerMessage",
        "SetChargingProfile",
        "ClearChargingProfile",
        "GetCompositeSchedule",
        "UpdateFirmware",
        "SignedUpdateFirmware",
        "GetDiagnostics",
        "GetLog",
        "ClearCache",
        "SendLocalList",
        "GetLocalListVersion",
        "InstallCertificate",
        "GetInstalledCertificateIds",
        "DeleteCertificate",
        "CertificateSigned",
    }
)
"""What tzi-OCTT's 1.6 trigger API can make a CSMS send (DataTransfer is not among them)."""


TZI_ROUTES_201 = frozenset(
    {
        # tzi-OCTT @9ccbec8, 2.0.1/csms.py ``_route_trigger`` (lines 4850-4894): every route
        # its 2.0.1 CSMS serves under /api/octt/2.0.1/{station_id}/; anything else is 404
        # "Unknown action" (line 4894). 2.0.1/trigger.py calls them: ``send_call`` (line 42,
        # "Uses the generic /call/:action endpoint", also behind ``reset`` at line 148,
        # ``get_report`` and ``get_base_report``), ``trigger_v201(station, 'trigger-message',
        # ...)``, ``get_variables``, ``set_variables``, ``set_pending_boot``,
        # ``set_security_profile``, ``set_items_per_message``. README.md "API Convention"
        # (lines 82-94) says "{action} is a kebab-case action name (e.g.
        # remote-start-transaction, set-variables)": true of these few routes and of 1.6, but
        # its 2.0.1 CSMS serves no kebab route per OCPP action (no ``reset``, no
        # ``remote-start-transaction``), and its own 2.0.1 tests send most actions by
        # ``send_call``.
        "call/{Action}",
        "trigger-message",
        "get-variables",
        "set-variables",
        "set-pending-boot",
        "update-basic-auth-password",
        "set-security-profile",
        "set-items-per-message",
    }
)
"""tzi-OCTT's 2.0.1 trigger routes (besides the version-free ``/api/octt/set-basic-auth-password``
and ``/api/octt/create-token`` of its README's "Shared Endpoints")."""

TZI_DEDICATED_201: dict[str, tuple[str, frozenset[str]]] = {
    # 2.0.1/csms.py: ``_trigger_send_trigger_message`` sends only ``body['requestedMessage']``
    # (line 4941; an ``evse`` would be dropped); ``_trigger_get_variables`` /
    # ``_trigger_set_variables`` send ``body['getVariableData']`` / ``body['setVariableData']``
    # (lines 5033, 5075); ``_trigger_send_call`` (line 4956) sends the whole body.
    "TriggerMessage": ("trigger-message", frozenset({"requestedMessage"})),
    "GetVariables": ("get-variables", frozenset({"getVariableData"})),
    "SetVariables": ("set-variables", frozenset({"setVariableData"})),
}
"""2.0.1 actions with a dedicated tzi-OCTT route -> (route, the payload members it carries).
Used only when the payload holds exactly those members; any other payload goes through
``call/{Action}``, whose handler (``_trigger_send_call``) sends the body as it is."""


def kebab(action: str) -> str:
    """``RemoteStartTransaction`` -> ``remote-start-transaction`` (tzi-OCTT's path names)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", action).lower()


def csms_initiated(version: str) -> tuple[str, ...]:
    """Every request a CSMS may send a station in ``version``: the schema set's actions
    minus those only a station sends (DataTransfer goes both ways)."""
    only_station = set(STATION_TO_CSMS[version]) - {"DataTransfer"}
    return tuple(a for a in schema_set(get_version(version)).actions() if a not in only_station)


# -- open-ocpp-tck: OCPP payload -> the driver contract's body -------------------------------
Mapper = Callable[[Mapping[str, Any]], dict[str, Any]]


def _pick(payload: Mapping[str, Any], *names: str, **renamed: str) -> dict[str, Any]:
    body = {n: payload[n] for n in names if n in payload}
    body.update({new: payload[old] for new, old in renamed.items() if old in payload})
    return body


def _remote_start(payload: Mapping[str, Any]) -> dict[str, Any]:
    if "chargingProfile" in payload:
        raise NotApplicable(
            "open-ocpp-tck's remote-start names a charging profile by the CSMS's own handle; "
            "it cannot carry the chargingProfile object this case needs the CSMS to send"
        )
    return _pick(payload, "idTag", "connectorId")


def _set_charging_profile(payload: Mapping[str, Any]) -> dict[str, Any]:
    raise NotApplicable(
        "open-ocpp-tck's set-charging-profile names a profile stored in the CSMS by its handle; "
        "it cannot carry the csChargingProfiles object this case needs the CSMS to send"
    )


def _handle(value: Any) -> str:
    return str(value)


def _clear_charging_profile(payload: Mapping[str, Any]) -> dict[str, Any]:
    body = _pick(payload, "connectorId", "stackLevel", purpose="chargingProfilePurpose")
    if "id" in payload:
        body["chargingProfile"] = _handle(payload["id"])
    return body


def _get_configuration(payload: Mapping[str, Any]) -> dict[str, Any]:
    keys = payload.get("key")
    return {"keys": list(keys)} if keys else {}


def _send_local_list(payload: Mapping[str, Any]) -> dict[str, Any]:
    body = _pick(payload, "listVersion", "updateType")
    entries = []
    for entry in payload.get("localAuthorizationList") or []:
        flat = {"idTag": entry["idTag"]}
        flat.update(_pick(entry.get("idTagInfo") or {}, "status", "expiryDate", "parentIdTag"))
        entries.append(flat)
    if entries:
        body["localAuthorizationList"] = entries
    return body


def _reserve_now(payload: Mapping[str, Any]) -> dict[str, Any]:
    body = _pick(payload, "connectorId", "idTag", "expiryDate", "parentIdTag")
    if "reservationId" in payload:
        body["reservation"] = _handle(payload["reservationId"])
    return body


TCK_OPERATIONS_16: dict[str, tuple[str, Mapper]] = {
    # packages/csms-driver/server/README.md, "Sending an OCPP 1.6 operation".
    "Reset": ("reset", lambda p: _pick(p, "type")),
    "UnlockConnector": ("unlock", lambda p: _pick(p, "connectorId")),
    "ClearCache": ("clear-cache", lambda p: {}),
    "ChangeAvailability": ("change-availability", lambda p: _pick(p, "connectorId", "type")),
    "GetConfiguration": ("get-configuration", _get_configuration),
    "ChangeConfiguration": ("change-configuration", lambda p: _pick(p, "key", "value")),
    "RemoteStartTransaction": ("remote-start", _remote_start),
    "RemoteStopTransaction": (
        "remote-stop",
        lambda p: {"transaction": _handle(p.get("transactionId"))},
    ),
    "TriggerMessage": ("trigger-message", lambda p: _pick(p, "requestedMessage", "connectorId")),
    "SetChargingProfile": ("set-charging-profile", _set_charging_profile),
    "GetCompositeSchedule": (
        "get-composite-schedule",
        lambda p: _pick(p, "connectorId", "duration", "chargingRateUnit"),
    ),
    "ClearChargingProfile": ("clear-charging-profile", _clear_charging_profile),
    "UpdateFirmware": (
        "update-firmware",
        lambda p: _pick(p, "location", "retrieveDate", "retries", "retryInterval"),
    ),
    "GetDiagnostics": (
        "get-diagnostics",
        lambda p: _pick(p, "location", "startTime", "stopTime", "retries", "retryInterval"),
    ),
    "GetLocalListVersion": ("get-local-list-version", lambda p: {}),
    "SendLocalList": ("send-local-list", _send_local_list),
    "ReserveNow": ("reserve-now", _reserve_now),
    "CancelReservation": (
        "cancel-reservation",
        lambda p: {"reservation": _handle(p.get("reservationId"))},
    ),
}
"""OCPP 1.6 action -> (the daemon's operation path, the body built from the OCPP payload).
Transaction, reservation and profile handles are the OCPP ids as strings: the daemon's
handles are opaque, and a CSMS whose handle is not its OCPP id must map them in its driver."""


# -- the performers --------------------------------------------------------------------------
def parse(setting: str) -> tuple[str, str] | None:
    """``tzi-octt:http://host:5001`` -> (``tzi-octt``, ``http://host:5001``); None when the
    setting names no trigger API."""
    kind, sep, base = setting.partition(":")
    if not sep or kind.lower() not in NAMES:
        return None
    base = base.strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ValueError(
            f"--ocpp-csms-operator={setting}: after '{kind}:' give the API's base URL, "
            f"e.g. {kind}:http://127.0.0.1:5001"
        )
    return kind.lower(), base


def trigger_performer(setting: str, timeout: float) -> tuple[ApiPerformer, str]:
    """The performer for a ``tzi-octt:URL`` or ``open-ocpp-tck:URL`` setting, and its name."""
    parsed = parse(setting)
    if parsed is None:
        raise ValueError(f"{setting!r} names no trigger API ({', '.join(NAMES)})")
    kind, base = parsed
    name = NAMES[kind]
    route = _tzi_route if kind == TZI else _tck_route

    async def perform(job: dict[str, Any]) -> None:
        # Imported here: the plugin loads this module on every run, and most runs use no
        # trigger API (httpx costs a sixth of a second of CPU per pytest process).
        import httpx

        method, path, body, expected = route(job)
        url = base + path
        try:
            async with httpx.AsyncClient(timeout=timeout) as client:
                response = await client.request(method, url, json=body)
        except httpx.TimeoutException:
            raise OperatorFailed(
                f"the {name} API did not answer {method} {url} within {timeout:g} s "
                "(--ocpp-operator-timeout)"
            ) from None
        except httpx.HTTPError as exc:
            raise OperatorFailed(f"the {name} API at {base} cannot be reached: {exc}") from None
        if response.is_success:
            return
        said = _said(response)
        if kind == TCK and response.status_code == 501:
            raise NotApplicable(f"{name} cannot {expected} on this CSMS (501): {said}")
        raise OperatorFailed(
            f"the {name} API answered HTTP {response.status_code} to {method} {path} "
            f"({expected}): {said}"
        )

    return ApiPerformer(perform, f"the {name} API at {base}"), name


def _said(response: httpx.Response) -> str:
    try:
        value = response.json()
    except ValueError:
        return response.text[:300] or "(no body)"
    error = value.get("error") if isinstance(value, dict) else None
    if isinstance(error, dict):
        return f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
    return json.dumps(value)[:300]


Route = tuple[str, str, Any, str]
"""method, path, JSON body, what it does (for messages)."""


def _tzi_route(job: dict[str, Any]) -> Route:
    station = quote(str(job["station_id"]), safe="")
    version = job.get("ocpp_version") or "1.6"
    if job.get("kind") == "setup":
        setting, value = job["setting"], job["value"]
        if setting == "boot_status" and version == "2.0.1" and value in ("Pending", None):
            pending = value == "Pending"
            path = f"/api/octt/2.0.1/{station}/set-pending-boot"
            return "POST", path, {"pending": pending}, f"set boot status {value or 'normal'}"
        raise NotApplicable(
            f"tzi-OCTT's trigger API has no endpoint to configure {setting} = "
            f"{json.dumps(value)} for OCPP {version} (its 2.0.1 API has only set-pending-boot); "
            "configure the CSMS by hand as tzi-OCTT's README says"
        )
    action = job["action"]
    payload = job.get("payload") or {}
    what = f"make the CSMS send {action}"
    if version == "1.6":
        if action not in TZI_ACTIONS_16:
            raise NotApplicable(
                f"tzi-OCTT's 1.6 trigger API has no endpoint for {action} (its README lists "
                f"{len(TZI_ACTIONS_16)} actions; {action} is not among them)"
            )
        return "POST", f"/api/octt/1.6/{station}/{kebab(action)}", payload, what
    if version != "2.0.1":
        raise NotApplicable(
            f"tzi-OCTT's trigger API serves OCPP 1.6 and 2.0.1; it cannot make the CSMS send "
            f"an OCPP {version} {action}"
        )
    dedicated = TZI_DEDICATED_201.get(action)
    if dedicated is not None and set(payload) == dedicated[1]:
        return "POST", f"/api/octt/2.0.1/{station}/{dedicated[0]}", payload, what
    return "POST", f"/api/octt/2.0.1/{station}/call/{action}", payload, what


def _tck_route(job: dict[str, Any]) -> Route:
    station = quote(str(job["station_id"]), safe="")
    version = job.get("ocpp_version") or "1.6"
    if job.get("kind") == "setup":
        setting, value = job["setting"], job["value"]
        if setting == "boot_status" and value in ("Accepted", "Pending", "Rejected", None):
            # For 2.0.1 stations too: the server README's charge-point administration
            # (PATCH -> ``chargePoints.update``) names no OCPP version, unlike its operations
            # (``operations16.execute``); a driver refusing a 2.0.1 station says so in HTTP.
            body = {"registration": value or "Accepted"}
            return "PATCH", f"/v1/charge-points/{station}", body, f"set registration {value}"
        raise NotApplicable(
            f"open-ocpp-tck's csms-server cannot configure {setting} (it administers a charge "
            "point's registration and security only)"
        )
    action = job["action"]
    if version != "1.6":
        raise NotApplicable(
            f"open-ocpp-tck's csms-server serves OCPP 1.6 operations only; it cannot make "
            f"the CSMS send an OCPP {version} {action}"
        )
    mapped = TCK_OPERATIONS_16.get(action)
    if mapped is None:
        raise NotApplicable(
            f"open-ocpp-tck's csms-server has no operation for {action} (its 1.6 vocabulary "
            f"has {len(TCK_OPERATIONS_16)} operations)"
        )
    operation, build = mapped
    body = build(job.get("payload") or {})
    path = f"/v1/charge-points/{station}/operations/{operation}"
    return "POST", path, body, f"make the CSMS send {action}"
