"""Which status a 1.6 charging station may report next: the rule every station-side wait for a
StatusNotification, FirmwareStatusNotification or DiagnosticsStatusNotification applies.

Real stations repeat a status and pass through intermediate ones (Preparing said again right
before StartTransaction; SuspendedEV between Preparing and Charging, which OCPP 1.6 §4.9 itself
describes; Uploading or Downloading reported more than once). OCTT 1.6 §1.3 shows such
"unexpected" notifications to the tester and still passes the case. So while a case waits for
a status, a repeat of the current one and an intermediate one the transition table allows on
the way to the expected one are accepted and recorded as warnings; a transition the table
forbids, a status that cannot lead to the expected one, or no expected status in time fails.

The tables are data, written once here, each citing its section. The 2.0.1 connector table
(:data:`CONNECTOR_TRANSITIONS_201`) lives here too; the trace checker judges by it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

CONNECTOR_TRANSITIONS: Mapping[str, frozenset[str]] = {
    # OCPP 1.6 §4.9, "The following table describes which status transitions are possible"
    # (rows A-I: from; columns 1-9: to), for connectorId > 0.
    "Available": frozenset(
        {"Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Reserved", "Unavailable"}
        | {"Faulted"}
    ),
    "Preparing": frozenset(
        {"Available", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing", "Faulted"}
    ),
    "Charging": frozenset(
        {"Available", "SuspendedEV", "SuspendedEVSE", "Finishing", "Unavailable", "Faulted"}
    ),
    "SuspendedEV": frozenset(
        {"Available", "Charging", "SuspendedEVSE", "Finishing", "Unavailable", "Faulted"}
    ),
    "SuspendedEVSE": frozenset(
        {"Available", "Charging", "SuspendedEV", "Finishing", "Unavailable", "Faulted"}
    ),
    "Finishing": frozenset({"Available", "Preparing", "Unavailable", "Faulted"}),
    "Reserved": frozenset({"Available", "Preparing", "Unavailable", "Faulted"}),
    "Unavailable": frozenset(
        {"Available", "Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Faulted"}
    ),
    # I1-I8: "Fault is resolved and status returns to the pre-fault state".
    "Faulted": frozenset(
        {"Available", "Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing"}
        | {"Reserved", "Unavailable"}
    ),
}
"""OCPP 1.6 §4.9 transition table for connectorId > 0: status → statuses it may change to."""

CHARGE_POINT_TRANSITIONS: Mapping[str, frozenset[str]] = {
    # OCPP 1.6 §4.9: "For ConnectorId 0, only a limited set is applicable, namely: Available,
    # Unavailable and Faulted"; the section sets no order among them.
    "Available": frozenset({"Unavailable", "Faulted"}),
    "Unavailable": frozenset({"Available", "Faulted"}),
    "Faulted": frozenset({"Available", "Unavailable"}),
}
"""OCPP 1.6 §4.9 statuses of connectorId 0 (the charge point as a whole)."""

FIRMWARE_TRANSITIONS: Mapping[str, frozenset[str]] = {
    # OCPP 1.6 §4.5 and §7.25 FirmwareStatus: a download (possibly retried, §5.19 retries),
    # then an installation; Idle only in answer to a TriggerMessage. The specification names
    # the statuses but requires none of the intermediate ones, so a station may skip them
    # (a fast download reported straight as Downloaded); only going backwards is refused.
    "Idle": frozenset({"Downloading", "DownloadFailed", "Downloaded"}),
    "Downloading": frozenset(
        {"Downloaded", "DownloadFailed", "Installing", "Installed", "InstallationFailed"}
    ),
    "DownloadFailed": frozenset({"Downloading", "Idle"}),
    "Downloaded": frozenset({"Installing", "Installed", "InstallationFailed"}),
    "Installing": frozenset({"Installed", "InstallationFailed"}),
    "Installed": frozenset({"Idle", "Downloading"}),
    "InstallationFailed": frozenset({"Idle", "Downloading"}),
}
"""Order of FirmwareStatusNotification statuses (OCPP 1.6 §4.5, §5.19, §7.25)."""

DIAGNOSTICS_TRANSITIONS: Mapping[str, frozenset[str]] = {
    # OCPP 1.6 §4.4 and §7.24 DiagnosticsStatus: an upload (possibly retried, §5.9 retries)
    # ends Uploaded or UploadFailed; Idle only in answer to a TriggerMessage. Uploading is
    # not required: a small file may be reported straight as Uploaded.
    "Idle": frozenset({"Uploading", "Uploaded", "UploadFailed"}),
    "Uploading": frozenset({"Uploaded", "UploadFailed"}),
    "UploadFailed": frozenset({"Uploading", "Idle"}),
    "Uploaded": frozenset({"Idle", "Uploading"}),
}
"""Order of DiagnosticsStatusNotification statuses (OCPP 1.6 §4.4, §5.9, §7.24)."""


@dataclass(frozen=True)
class StatusStream:
    """One sequence of status reports the station keeps: a connector's StatusNotification,
    or the FirmwareStatusNotification / DiagnosticsStatusNotification of the whole station."""

    action: str
    key: str
    """Names the stream in :attr:`FakeCsms.reported` (its last status, across connections)."""
    label: str
    """How messages name it: ``StatusNotification.req connectorId 1``."""
    transitions: Mapping[str, frozenset[str]]
    section: str
    matches: Callable[[Mapping[str, Any]], bool]
    forgotten_on_boot: bool
    """A reboot starts the stream afresh (connector statuses are reported anew after a boot;
    a firmware update carries on across the reboot that installs it)."""
    never_intermediate: frozenset[str] = frozenset()
    """Statuses that are events, not steps on the way anywhere (a fault)."""
    why: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """For a forbidden (from, to) pair: the requirement it breaks, quoted in the verdict."""


def connector_stream(connector_id: int) -> StatusStream:
    """The StatusNotification stream of one connector (0: the charge point)."""
    return StatusStream(
        action="StatusNotification",
        key=f"StatusNotification/{connector_id}",
        label=f"StatusNotification.req connectorId {connector_id}",
        transitions=CHARGE_POINT_TRANSITIONS if connector_id == 0 else CONNECTOR_TRANSITIONS,
        section="OCPP 1.6 §4.9",
        matches=lambda payload: payload.get("connectorId") == connector_id,
        forgotten_on_boot=True,
        never_intermediate=frozenset({"Faulted"}),
    )


CONNECTOR_TRANSITIONS_201: Mapping[str, frozenset[str]] = {
    # OCPP 2.0.1 has no transition table like 1.6 §4.9: Part 2 §3.23 ConnectorStatusEnumType
    # names five statuses and sets no order among them, G01 describes plug-in and unplug, and
    # errata 2025-09 §2.29 removed even G01's overview table. So everything is allowed except
    # what a requirement rules out (see CONNECTOR_FORBIDDEN_201); a repeat is always legal.
    "Available": frozenset(
        # G01.FR.03 (plug-in), H01.FR.20/H01.FR.23 (reserved), G03.FR.06/G04.FR.07 and §3.23
        # "at its discretion" (unavailable), §3.23 (a fault, any time)
        {"Occupied", "Reserved", "Unavailable", "Faulted"}
    ),
    # G01.FR.04 (unplug), G01.FR.05 (unplug, scheduled to become unavailable), a fault; not
    # Reserved: see CONNECTOR_FORBIDDEN_201
    "Occupied": frozenset({"Available", "Unavailable", "Faulted"}),
    # H02.FR.04 and expiry (available again), G01.FR.06 (the reserving driver plugs in),
    # H01.FR.16/17 (faulted or unavailable cancels the reservation)
    "Reserved": frozenset({"Available", "Occupied", "Unavailable", "Faulted"}),
    # G03.FR.07/G04.FR.08: becoming operative reverts to "their original status", any
    # operative one (G03 Note 1: station, EVSE and connector states are separate, so a
    # reservation on a multi-connector EVSE can outlive one connector's inoperative spell)
    "Unavailable": frozenset({"Available", "Occupied", "Reserved", "Faulted"}),
    # a resolved fault: §3.23 sets no status to return to (on a multi-connector EVSE one
    # connector's fault does not cancel the EVSE's reservation, H01.FR.16 is per EVSE)
    "Faulted": frozenset({"Available", "Occupied", "Reserved", "Unavailable"}),
}
"""OCPP 2.0.1 Part 2 connector statuses (§3.23, G01, G03, G04, H01, H02): status → statuses
it may change to. Permissive on purpose: a false failure on a real charger costs more than
a missed one."""

CONNECTOR_FORBIDDEN_201: Mapping[tuple[str, str], str] = {
    ("Occupied", "Reserved"): (
        "2.0.1 errata 2025-09 §2.30: only available EVSEs can be reserved; H01.FR.11: a "
        "ReserveNowRequest for an Occupied EVSE is answered Occupied; G01.FR.04: unplugging "
        "reports Available"
    ),
}
"""Each transition CONNECTOR_TRANSITIONS_201 leaves out, with the requirement it breaks."""


def connector_stream_201(evse_id: int, connector_id: int) -> StatusStream:
    """The StatusNotificationRequest stream of one 2.0.1 connector (evseId, connectorId)."""
    return StatusStream(
        action="StatusNotification",
        key=f"StatusNotification/{evse_id}/{connector_id}",
        label=f"StatusNotificationRequest evseId {evse_id} connectorId {connector_id}",
        transitions=CONNECTOR_TRANSITIONS_201,
        section="OCPP 2.0.1 Part 2",
        matches=lambda payload: (
            payload.get("evseId") == evse_id and payload.get("connectorId") == connector_id
        ),
        forgotten_on_boot=True,
        never_intermediate=frozenset({"Faulted"}),
        why=CONNECTOR_FORBIDDEN_201,
    )


FIRMWARE = StatusStream(
    action="FirmwareStatusNotification",
    key="FirmwareStatusNotification",
    label="FirmwareStatusNotification.req",
    transitions=FIRMWARE_TRANSITIONS,
    section="OCPP 1.6 §4.5/§7.25",
    matches=lambda payload: True,
    forgotten_on_boot=False,
)
DIAGNOSTICS = StatusStream(
    action="DiagnosticsStatusNotification",
    key="DiagnosticsStatusNotification",
    label="DiagnosticsStatusNotification.req",
    transitions=DIAGNOSTICS_TRANSITIONS,
    section="OCPP 1.6 §4.4/§7.24",
    matches=lambda payload: True,
    forgotten_on_boot=False,
)


@dataclass(frozen=True)
class Judgement:
    """What one received status means for a wait: ``done`` (it is the awaited one),
    ``warning`` (tolerated, with the text to record) or ``failure`` (the text of the verdict)."""

    done: bool = False
    warning: str = ""
    failure: str = ""


def judge(
    stream: StatusStream, previous: str | None, status: str, wanted: Collection[str]
) -> Judgement:
    """Judge ``status``, reported after ``previous`` (None: not known, e.g. right after a
    boot), while a case waits for one of ``wanted`` on ``stream``."""
    shown = " or ".join(wanted)
    allowed = stream.transitions.get(previous, frozenset()) if previous is not None else None
    legal = previous is None or status == previous or (allowed is not None and status in allowed)
    if not legal:
        why = stream.why.get((previous, status)) if previous is not None else None
        return Judgement(
            failure=f"{stream.label} went from {previous} to {status}, a transition "
            f"{stream.section} does not allow{f' ({why})' if why else ''} "
            f"(the case waited for {shown})"
        )
    if status in wanted:
        return Judgement(done=True)
    if status == previous:
        return Judgement(
            warning=f"{stream.label} repeated {status} while the case waited for {shown} "
            f"(a repeat {stream.section} allows)"
        )
    leads_on = any(w in stream.transitions.get(status, frozenset()) for w in wanted)
    if leads_on and status not in stream.never_intermediate:
        came_from = f"{previous} → " if previous is not None else ""
        return Judgement(
            warning=f"{stream.label} passed through {status} ({came_from}{status} → {shown}, "
            f"allowed by {stream.section}) while the case waited for {shown}"
        )
    return Judgement(
        failure=f"expected {stream.label} status {shown}; received {status} "
        f"({stream.section} allows no transition from {status} to {shown})"
    )
