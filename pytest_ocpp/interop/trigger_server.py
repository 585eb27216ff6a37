"""tzi-OCTT's trigger API and open-ocpp-tck's ``csms-server`` API, served for the reference CSMS.

This is how the adapters of :mod:`.trigger` are proven: the reference CSMS, driven only
through each API, must give the same verdicts as through its own control channel. Both APIs
end in :meth:`ReferenceCsms.handle_command
<pytest_ocpp.reference.csms.ReferenceCsms.handle_command>`, the control channel's own entry,
so the reference behaves the same whichever way it is asked.

* tzi-OCTT: exactly the route set tzi-OCTT's CSMSs serve, so an adapter that drifts from it
  gets the 404 a real tzi-style CSMS would give. 1.6: ``POST
  /api/octt/1.6/{station}/{kebab-case action}`` for the actions its 1.6 README lists, nothing
  else. 2.0.1 (:data:`~pytest_ocpp.interop.trigger.TZI_ROUTES_201`): ``call/{Action}`` with
  the OCPP payload (400 for an action OCPP 2.0.1 lacks); ``trigger-message``,
  ``get-variables`` and ``set-variables``, which, as tzi-OCTT's handlers do, send only
  ``requestedMessage`` / ``getVariableData`` / ``setVariableData`` of the body;
  ``set-pending-boot`` (``{"pending": bool}``). Its other routes (``update-basic-auth-password``,
  ``set-security-profile``, ``set-items-per-message``, and the version-free
  ``set-basic-auth-password`` and ``create-token``) administer tzi-OCTT's own CSMS and no
  operator step sends them: 501, so a step that started to would show. 200 once sent; 404 for
  an unknown route; 500 with ``{"error": ...}`` when the CSMS cannot send it (the station is
  not connected).
* open-ocpp-tck: ``POST /v1/charge-points/{id}/operations/{operation}`` (202 dispatched),
  ``PATCH /v1/charge-points/{id}`` (``registration``, 204), ``GET /v1/driver``; the error body
  and codes of its README (400 invalid_input, 403 forbidden_origin, 404 not_found, 415
  unsupported_media_type, 502 transport_failure).

A deliberately small HTTP/1.1 server (one request per connection, ``Content-Length`` bodies):
the reference runs inside pytest on loopback, and a framework would be a dependency for four
routes. ``python -m pytest_ocpp.reference.csms --trigger-api-port PORT`` serves them beside the
reference CSMS; in Python, :func:`serve` with its ``handle_command``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from pytest_ocpp.interop.trigger import (
    TCK_OPERATIONS_16,
    TZI_ACTIONS_16,
    TZI_DEDICATED_201,
    TZI_ROUTES_201,
    csms_initiated,
    kebab,
)

Handler = Callable[[dict[str, Any]], Awaitable[None]]
"""Carries out one operator job (``ReferenceCsms.handle_command``)."""
Reply = tuple[int, Any]

_TCK_BY_PATH = {path: action for action, (path, _build) in TCK_OPERATIONS_16.items()}
_REASONS = {
    200: "OK",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
}


async def serve(handle: Handler, host: str = "127.0.0.1", port: int = 0) -> asyncio.Server:
    """Start serving both APIs in the running loop; ``handle`` carries out each job."""

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            status, body = await _one_request(reader, handle)
        except (asyncio.IncompleteReadError, ValueError, asyncio.TimeoutError) as exc:
            status, body = 400, _tck_error("invalid_input", f"unreadable request: {exc}")
        data = b"" if status == 204 else json.dumps(body).encode()
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
            "Connection: close\r\n\r\n"
        )
        try:
            writer.write(head.encode() + data)
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    return await asyncio.start_server(connection, host, port)


async def _one_request(reader: asyncio.StreamReader, handle: Handler) -> Reply:
    line = (await asyncio.wait_for(reader.readline(), 10)).decode("latin-1").split()
    if len(line) < 2:
        raise ValueError("no request line")
    method, target = line[0], line[1]
    headers: dict[str, str] = {}
    while True:
        raw = (await asyncio.wait_for(reader.readline(), 10)).decode("latin-1")
        if raw in ("\r\n", "\n", ""):
            break
        name, _, value = raw.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    text = (await asyncio.wait_for(reader.readexactly(length), 10)) if length else b""
    path = urlsplit(target).path
    if path.startswith("/api/octt/"):
        return await _tzi(method, path, text, handle)
    if path.startswith("/v1/"):
        return await _tck(method, path, headers, text, handle)
    return 404, {"error": f"Unknown path: {path}"}


def _json(text: bytes) -> Any:
    return json.loads(text) if text.strip() else {}


async def _send(handle: Handler, job: dict[str, Any]) -> str:
    """'' when done, else why not (the reference's own sentence)."""
    try:
        await handle(job)
    except (LookupError, ValueError, TypeError) as exc:
        return str(exc)
    return ""


# -- tzi-OCTT ------------------------------------------------------------------------------
_TZI_ADMIN = (
    TZI_ROUTES_201
    - {"call/{Action}", "set-pending-boot"}
    - {route for route, _members in TZI_DEDICATED_201.values()}
)
_TZI_SHARED = ("set-basic-auth-password", "create-token")


async def _tzi(method: str, path: str, text: bytes, handle: Handler) -> Reply:
    if method != "POST":
        return 405, {"error": "Method not allowed"}
    parts = [unquote(p) for p in path.removeprefix("/api/octt/").split("/")]
    if len(parts) == 1 and parts[0] in _TZI_SHARED:
        return _not_served(parts[0])
    if len(parts) < 3 or parts[0] not in ("1.6", "2.0.1"):
        return 404, {"error": f"Unknown path: {path}"}
    version, station, rest = parts[0], parts[1], "/".join(parts[2:])
    try:
        body = _json(text)
    except ValueError as exc:
        return 400, {"error": f"the body is not JSON: {exc}"}
    if not isinstance(body, dict):
        return 400, {"error": "the body is not a JSON object"}
    if version == "1.6":
        actions = {kebab(a): a for a in csms_initiated("1.6") if a in TZI_ACTIONS_16}
        action = actions.get(rest)
        if action is None:
            return 404, {"error": f"Unknown action: {rest}"}
        return await _tzi_send(handle, station, version, action, body)
    if rest == "set-pending-boot":
        value = "Pending" if body.get("pending", True) else None
        job = {"kind": "setup", "station_id": station, "setting": "boot_status", "value": value}
        error = await _send(handle, {**job, "ocpp_version": version})
        return (500, {"error": error}) if error else (200, {"ok": True})
    if rest.startswith("call/"):
        action = rest.removeprefix("call/")
        if action not in csms_initiated("2.0.1"):
            return 400, {"error": f"Unknown OCPP action: {action}"}
        return await _tzi_send(handle, station, version, action, body)
    for action, (route, members) in TZI_DEDICATED_201.items():
        if rest == route:
            # As tzi-OCTT's handler: only these members of the body reach the station.
            payload = {m: body[m] for m in members if m in body}
            return await _tzi_send(handle, station, version, action, payload)
    if rest in _TZI_ADMIN:
        return _not_served(rest)
    return 404, {"error": f"Unknown action: {rest}"}


def _not_served(route: str) -> Reply:
    return 501, {
        "error": f"{route} administers tzi-OCTT's own CSMS; the reference does not serve it "
        "(no pytest-ocpp operator step sends it)"
    }


async def _tzi_send(
    handle: Handler, station: str, version: str, action: str, payload: dict[str, Any]
) -> Reply:
    job = {
        "kind": "request",
        "station_id": station,
        "action": action,
        "payload": payload,
        "ocpp_version": version,
    }
    error = await _send(handle, job)
    return (500, {"error": error}) if error else (200, {"status": "sent", "action": action})


# -- open-ocpp-tck -------------------------------------------------------------------------
def _tck_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


async def _tck(
    method: str, path: str, headers: dict[str, str], text: bytes, handle: Handler
) -> Reply:
    if "origin" in headers:
        return 403, _tck_error("forbidden_origin", "requests from browser pages are refused")
    parts = [unquote(p) for p in path.removeprefix("/v1/").split("/")]
    if parts == ["driver"]:
        operations = [{"operation": p, "action": a} for p, a in sorted(_TCK_BY_PATH.items())]
        return 200, {
            "id": "pytest-ocpp-reference",
            "displayName": "pytest-ocpp reference CSMS",
            "protocols": ["OCPP-1.6J"],
            "operations16": operations,
            "chargePoints": None,
        }
    if method in ("POST", "PATCH"):
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            return 415, _tck_error("unsupported_media_type", "send Content-Type: application/json")
    try:
        body = _json(text)
    except ValueError as exc:
        return 400, _tck_error("invalid_input", f"the body is not JSON: {exc}")
    if not isinstance(body, dict):
        return 400, _tck_error("invalid_input", "the body is not a JSON object")
    if len(parts) == 2 and parts[0] == "charge-points" and method == "PATCH":
        registration = body.get("registration")
        if set(body) - {"registration"} or registration not in ("Accepted", "Pending", "Rejected"):
            return 400, _tck_error("invalid_input", "only registration is administered here")
        value = None if registration == "Accepted" else registration
        job = {"kind": "setup", "station_id": parts[1], "setting": "boot_status", "value": value}
        error = await _send(handle, job)
        return (502, _tck_error("csms_rejected", error)) if error else (204, None)
    if len(parts) != 4 or parts[0] != "charge-points" or parts[2] != "operations":
        return 404, _tck_error("not_found", f"no route {method} {path}")
    if method != "POST":
        return 405, _tck_error("method_not_allowed", "operations are POSTed")
    action = _TCK_BY_PATH.get(parts[3])
    if action is None:
        return 404, _tck_error("not_found", f"no operation {parts[3]!r}")
    try:
        payload = _ocpp_payload(action, body)
    except (KeyError, ValueError, TypeError) as exc:
        return 400, _tck_error("invalid_input", f"{parts[3]}: {exc}")
    job = {
        "kind": "request",
        "station_id": parts[1],
        "action": action,
        "payload": payload,
        "ocpp_version": "1.6",
    }
    error = await _send(handle, job)
    if error:
        return 502, _tck_error("transport_failure", error)
    return 202, {
        "chargePointId": parts[1],
        "operation": parts[3],
        "action": action,
        "status": "dispatched",
    }


def _ocpp_payload(action: str, body: dict[str, Any]) -> dict[str, Any]:
    """The driver contract's body as the OCPP 1.6 payload the reference sends (the inverse of
    :data:`~pytest_ocpp.interop.trigger.TCK_OPERATIONS_16`); handles are the OCPP ids."""
    payload = dict(body)
    if action == "RemoteStopTransaction":
        payload = {"transactionId": int(payload.pop("transaction"))}
    elif action in ("ReserveNow", "CancelReservation"):
        payload["reservationId"] = int(payload.pop("reservation"))
    elif action == "GetConfiguration" and "keys" in payload:
        payload["key"] = payload.pop("keys")
    elif action == "ClearChargingProfile":
        if "chargingProfile" in payload:
            payload["id"] = int(payload.pop("chargingProfile"))
        if "purpose" in payload:
            payload["chargingProfilePurpose"] = payload.pop("purpose")
    elif action == "SendLocalList":
        entries = []
        for entry in payload.pop("localAuthorizationList", []):
            entry = dict(entry)
            flat = {"idTag": entry.pop("idTag")}
            if entry:
                flat["idTagInfo"] = entry
            entries.append(flat)
        if entries:
            payload["localAuthorizationList"] = entries
    elif action in ("RemoteStartTransaction", "SetChargingProfile") and (
        "chargingProfile" in payload
    ):
        raise ValueError("charging profile handles are not known to the reference CSMS")
    return payload
