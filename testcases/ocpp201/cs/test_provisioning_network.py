"""OCPP 2.0.1, Charging Station under test, B. Provisioning part 2: network connection profiles
(B09/B10), status after an offline period (B04) and reconnecting (Part 4 §5.3) (2.0.1 Edition
3 Part 6 §2.3, Tables 52-59 and 64, and the 2025 errata 6.2.17/6.2.18).

pytest-ocpp plays the CSMS (the OCTT column of each scenario table). Each case first
re-establishes Part 6 §2.1's general preconditions (``csms.ready``); "Execute Reusable State X"
is one call of the fake CSMS's method for X (Part 6 §2.18, :mod:`pytest_ocpp.csms.states201`).
TC_B_47_CS and TC_B_50_CS migrate over TLS (security profiles 2/3) to a second websocket server
of the fake CSMS (:meth:`~pytest_ocpp.csms.states201_security.SecurityStates201.open_listener`)
whose server certificate the old or the new CSMS root signed; their CSMS roots are those of
:mod:`.test_certificates_root_swap` (``[station] csms_root_certificate``,
``new_csms_root_certificate`` with ``new_csms_root_private_key``), and they end with the
station's roots and NetworkConfigurationPriority as before and the station back on its slot.
"""

from __future__ import annotations

import asyncio
import time

from pytest_ocpp import security, step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import (
    ConnectFailed,
    TargetFailure,
    TargetTimeout,
    check,
    not_applicable,
)

from ._certificates_support import entry_for
from .test_certificates_root_swap import _install_new_root
from .test_provisioning_reset import _notify_event_agrees, _reset

# -- B09 network connection profile ----------------------------------------------------------


async def _security_profile(csms: FakeCsms201, sut: StationConnection) -> int:
    """<Configured securityProfile>: the one the station runs (SecurityCtrlr.SecurityProfile;
    without it, 1 with a basic-auth password configured, else 0). Profiles 2 and 3 need TLS
    and certificates (issue 17): not applicable here."""
    text = await csms.get_variable(sut, "SecurityCtrlr.SecurityProfile")
    if text is None or not text.isdigit():
        return 1 if csms.config.basic_auth_password else 0
    if int(text) >= 2:
        raise not_applicable(
            f"the station runs security profile {text}; this suite's endpoints "
            "are plain ws:// (security profiles 0/1)"
        )
    return int(text)


@ocpp_case("TC_B_43_CS", version="2.0.1")
async def test_tc_b_43_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A network connection profile for a slot that does not exist (999) is Rejected
    (B09.FR.02). <Configured ...> connection data: the station's current URL (the fake CSMS),
    OCPP 2.0, interface Wired0, messageTimeout 30 and the security profile the station runs
    (:func:`_security_profile`)."""
    sut = await csms.ready(station_operator)
    profile = await _security_profile(csms, sut)
    step("1. The OCTT sends a SetNetworkProfileRequest with configurationSlot 999")
    answer = await sut.call(
        "SetNetworkProfile",
        {
            "configurationSlot": 999,
            "connectionData": {
                "messageTimeout": 30,
                "ocppCsmsUrl": csms.url,
                "ocppInterface": "Wired0",
                "ocppVersion": "OCPP20",
                "securityProfile": profile,
                "ocppTransport": "JSON",
            },
        },
    )
    check(
        answer.get("status") == "Rejected",
        "TC_B_43_CS step 2: SetNetworkProfileResponse status Rejected",
        answer,
    )


def _slots(csms: FakeCsms201) -> tuple[int, int]:
    """OCTT's <Configured configurationSlot> and <Configured configurationSlot2> (``[station]
    configuration_slot`` / ``configuration_slot2``, default 1 and 2)."""
    extra = csms.config.station.extra
    return int(extra.get("configuration_slot", 1)), int(extra.get("configuration_slot2", 2))


def _endpoint(csms: FakeCsms201, slot: int) -> str:
    """The fake CSMS's two endpoints (errata 6.2.17): the first slot's is the URL the station
    is configured with; the second slot's ``[station] ocpp_csms_url2``, by default the same
    listener under the path ``/alt`` (the station appends its id as usual)."""
    first, _ = _slots(csms)
    if slot == first:
        return csms.url
    return str(csms.config.station.extra.get("ocpp_csms_url2", csms.url.rstrip("/") + "/alt"))


async def _migrate(csms: FakeCsms201, sut: StationConnection, label: str) -> tuple[int, int]:
    """Steps 1-6 of TC_B_45/46/49: SetNetworkProfile for the slot not in use (errata 6.2.17:
    read from OCPPCommCtrlr.ActiveNetworkProfile) with the other endpoint, answered Accepted;
    NetworkConfigurationPriority "<that slot>,<the slot in use>", answered Accepted or
    RebootRequired; ResetRequest OnIdle, answered Accepted (errata 6.2.18: always sent).
    Returns (new slot, previous slot). connectionData: messageTimeout 30, interface Wired0,
    OCPP20, the security profile the station runs (:func:`_security_profile`)."""
    first, second = _slots(csms)
    profile = await _security_profile(csms, sut)
    active_text = await csms.get_variable(sut, "OCPPCommCtrlr.ActiveNetworkProfile")
    active = int(active_text) if active_text and active_text.isdigit() else first
    new = second if active == first else first
    step(f"1. The OCTT sends a SetNetworkProfileRequest with configurationSlot {new}")
    answer = await sut.call(
        "SetNetworkProfile",
        {
            "configurationSlot": new,
            "connectionData": {
                "messageTimeout": 30,
                "ocppCsmsUrl": _endpoint(csms, new),
                "ocppInterface": "Wired0",
                "ocppVersion": "OCPP20",
                "securityProfile": profile,
                "ocppTransport": "JSON",
            },
        },
    )
    check(
        answer.get("status") == "Accepted",
        f"{label} step 2: SetNetworkProfileResponse status Accepted",
        answer,
    )
    step(f"3. The OCTT sends SetVariablesRequest NetworkConfigurationPriority = {new},{active}")
    answer = await sut.call(
        "SetVariables",
        {
            "setVariableData": [
                {
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "NetworkConfigurationPriority"},
                    "attributeValue": f"{new},{active}",
                }
            ]
        },
    )
    result = (answer.get("setVariableResult") or [{}])[0]
    check(
        result.get("attributeStatus") in ("Accepted", "RebootRequired"),
        f"{label} step 4: setVariableResult[0].attributeStatus Accepted OR RebootRequired",
        answer,
    )
    await _reset(sut, f"{label} step 6", "OnIdle", "Accepted")
    return new, active


async def _active_slot_is(csms: FakeCsms201, sut: StationConnection, slot: int, label: str) -> None:
    """Evidence of the slot the station connected with: OCPPCommCtrlr.ActiveNetworkProfile
    (the variable OCTT reads too, errata 6.2.17); warned, not failed, when it has none."""
    value = await csms.get_variable(sut, "OCPPCommCtrlr.ActiveNetworkProfile")
    if value is None:
        warn("no OCPPCommCtrlr.ActiveNetworkProfile: the slot used could not be confirmed")
        return
    check(
        value == str(slot),
        f"{label}: the Charging Station connects using the profile of slot {slot} "
        "(OCPPCommCtrlr.ActiveNetworkProfile)",
        {"ActiveNetworkProfile": value},
    )


@ocpp_case("TC_B_45_CS", version="2.0.1")
async def test_tc_b_45_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Migrating to a new network connection profile (B09.FR.01, B10.FR.01/04/06): the
    profile is Accepted, the priority too, the reset Accepted, and after the reboot the
    station connects with the new profile first (B10.FR.04), judged through
    ActiveNetworkProfile; then Reusable State Booted. Departure: the two OCTT endpoints are
    one listener under two paths (see :func:`_endpoint`)."""
    sut = await csms.ready(station_operator)
    generation = csms.generation
    new, _ = await _migrate(csms, sut, "TC_B_45_CS")
    sut = await csms.next_connection(after=generation, reboot=True)
    await _active_slot_is(csms, sut, new, "TC_B_45_CS step 7")
    step("7. Execute Reusable State Booted")
    await csms.booted(sut, station_operator)


@ocpp_case("TC_B_46_CS", version="2.0.1")
async def test_tc_b_46_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Fallback to the next NetworkConfigurationPriority entry (B10.FR.03/04): with
    NetworkProfileConnectionAttempts 2, the OCTT refuses the two attempts on the new slot;
    the station then connects with the previous one (judged through ActiveNetworkProfile);
    then Reusable State Booted. Departure: "will NOT respond" is an HTTP 503 refusal, the
    one way a single listener can tell the attempts apart."""
    sut = await csms.ready(station_operator)
    await csms.configure(sut, {"OCPPCommCtrlr.NetworkProfileConnectionAttempts": "2"})
    generation = csms.generation
    start = time.time()
    csms.behaviour.refuse_connections = True
    try:
        _, previous = await _migrate(csms, sut, "TC_B_46_CS")
        step("7. The OCTT will NOT respond to the two connection requests on the first slot")
        wait = csms.config.timeouts.reboot
        first = await _refused_attempt(csms, start, wait)
        await _refused_attempt(csms, first + 0.001, wait)
    finally:
        csms.behaviour.refuse_connections = False
    step("8. The OCTT accepts the connection request from the second slot")
    sut = await csms.next_connection(after=generation, reboot=True)
    await _active_slot_is(csms, sut, previous, "TC_B_46_CS step 8")
    step("9. Execute Reusable State Booted")
    await csms.booted(sut, station_operator)


@ocpp_case("TC_B_49_CS", version="2.0.1", requires="C-47")
async def test_tc_b_49_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Fallback after every priority entry failed (B10.FR.07): with one attempt per entry and
    no back-off doubling, the OCTT refuses the attempt on the new slot and the one on the
    previous slot; the station then waits RetryBackOffWaitMinimum and reconnects (accepted),
    then Reusable State Booted. Departure: the table's "ResetRequest with type Idle" is
    OnIdle (the only such type)."""
    sut = await csms.ready(station_operator)
    minimum = _retry_wait_minimum(csms)
    await csms.configure(
        sut,
        {
            "OCPPCommCtrlr.NetworkProfileConnectionAttempts": "1",
            "OCPPCommCtrlr.RetryBackOffRepeatTimes": "0",
            "OCPPCommCtrlr.RetryBackOffRandomRange": "0",
            "OCPPCommCtrlr.RetryBackOffWaitMinimum": str(minimum),
        },
    )
    generation = csms.generation
    start = time.time()
    csms.behaviour.refuse_connections = True
    try:
        await _migrate(csms, sut, "TC_B_49_CS")
        wait = csms.config.timeouts.reboot
        step("7-8. The station tries the new endpoint; the OCTT does not accept")
        first = await _refused_attempt(csms, start, wait)
        step("9-10. The station switches back to the previous profile; the OCTT does not accept")
        second = await _refused_attempt(csms, first + 0.001, wait)
    finally:
        csms.behaviour.refuse_connections = False
    step("11-12. The station waits RetryBackOffWaitMinimum and reconnects; the OCTT accepts")
    sut = await csms.next_connection(after=generation, timeout=4 * minimum + 10)
    waited = time.time() - second
    check(
        waited >= minimum,
        f"TC_B_49_CS step 11: the Charging Station waits RetryBackOffWaitMinimum ({minimum} s) "
        f"before reconnecting ({waited:.2f} s)",
        {"refused_at": second, "waited_s": round(waited, 3)},
    )
    step("13. Execute Reusable State Booted")
    await csms.booted(sut, station_operator)


# -- B10 migrating with a new CSMS root (M05) -------------------------------------------------


def _on_listener(sut: StationConnection, url: str) -> bool:
    """The connection of ``sut`` came in on the listener of ``url``."""
    port = int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
    transport = getattr(sut.link.ws, "transport", None)
    return transport is not None and transport.get_extra_info("sockname")[1] == port


async def _migration_steps(
    csms: FakeCsms201, sut: StationConnection, url: str, label: str
) -> tuple[int, int, str]:
    """Steps 1-6 of TC_B_47/50 (errata 6.2.17): SetNetworkProfile for the slot not in use
    (OCPPCommCtrlr.ActiveNetworkProfile) with the second listener's URL and the security
    profile the station runs; NetworkConfigurationPriority "<that slot>,<the slot in use>";
    ResetRequest OnIdle, Accepted (the only step both tables validate). Returns (new slot,
    previous slot, the priority before)."""
    profile = await csms.station_security_profile(sut)
    active, new = await csms.slots_in_use(sut)
    before = await csms.get_variable(sut, "OCPPCommCtrlr.NetworkConfigurationPriority")
    await csms.set_network_profile(sut, new, url, profile, label)
    await csms.set_priority(sut, f"{new},{active}")
    await _reset(sut, f"{label} step 6", "OnIdle", "Accepted")
    return new, active, before or str(active)


async def _back_home(csms: FakeCsms201, old: str, new: str, url: str, priority: str | None) -> None:
    """Post-condition of TC_B_47/50: the CSMS roots as before (``undo_root_swap``), the
    NetworkConfigurationPriority of before, and a station still on the second listener reset
    so that it connects to the main one again (B10.FR.04, within --ocpp-reboot-timeout)."""
    sut = await csms.undo_root_swap(old, new)
    if sut is None or priority is None:
        return
    step(f"Post-condition: NetworkConfigurationPriority = {priority} again")
    entry = {
        "component": {"name": "OCPPCommCtrlr"},
        "variable": {"name": "NetworkConfigurationPriority"},
        "attributeValue": priority,
    }
    await sut.link.call("SetVariables", {"setVariableData": [entry]}, allow_error=True)
    if _on_listener(sut, url):
        step("Post-condition: ResetRequest OnIdle, back to the main endpoint")
        generation = csms.generation
        await sut.link.call("Reset", {"type": "OnIdle"}, allow_error=True)
        try:
            await csms.next_connection(after=generation, reboot=True)
        except ConnectFailed as exc:
            warn(f"the Charging Station did not come back to {csms.url}: {exc}")


@ocpp_case("TC_B_47_CS", version="2.0.1", requires="AS-2")
async def test_tc_b_47_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Migrating to a new CSMS under a new CSMS root fails, so the station falls back
    (B10.FR.07, M05.FR.15/16): Configuration State NetworkProfileConnectionAttempts 1; Memory
    State CertificateInstalled <new CSMS Root certificate 2> (AdditionalRootCertificateCheck
    true, prerequisite AS-2; the old root installed first); a second websocket server whose
    certificate the old root signed; steps 1-6 (only the reset is validated by the table);
    the station's handshake there fails, since it verifies with the new root (steps 7-8:
    judged by the station trying that endpoint and not connecting there); it goes back to the
    previous profile and verifies the main endpoint's certificate, also signed by the old
    root, with the fallback root (step 9); Reusable State Booted; the old root is still
    installed (step 12)."""
    security.require_profile(csms.config, (2, 3), "TLS with a CSMS root certificate")
    sut = await csms.ready(station_operator)
    await csms.configure(sut, {"OCPPCommCtrlr.NetworkProfileConnectionAttempts": "1"})
    old, new = await _install_new_root(csms, sut)
    profile = await csms.station_security_profile(sut)
    tried: list[object] = []
    context = csms.listener_context(profile)
    assert context is not None
    context.sni_callback = lambda obj, name, ctx: tried.append(name)  # type: ignore[assignment,func-returns-value]
    url = await csms.open_listener(profile, context)
    priority: str | None = None
    try:
        csms.serve_instead = csms.served_under(csms.csms_root_authority())
        generation = csms.generation
        _, previous, priority = await _migration_steps(csms, sut, url, "TC_B_47_CS")
        step("7-8. The OCTT serves a certificate signed by the old CSMS root on the new endpoint")
        step("9. The Charging Station switches back and validates with the (fallback) old root")
        try:
            sut = await csms.next_connection(after=generation, reboot=True)
        except ConnectFailed as exc:
            raise TargetFailure(
                "Step 9: the Charging Station must go back to the previous network profile and "
                f"verify the CSMS certificate with the old (fallback) CSMS root (M05.FR.16): {exc}"
            ) from None
        check(
            bool(tried),
            "Step 8: the Charging Station first tries the endpoint of the new slot (B10.FR.04)",
            {"handshakes_on_new_endpoint": len(tried)},
        )
        check(
            not _on_listener(sut, url),
            "Step 8: the connection to the new endpoint fails: a CSMS certificate of the old "
            "root does not verify with the new CSMS root (M05.FR.15)",
            {"connected_to": url},
        )
        await _active_slot_is(csms, sut, previous, "TC_B_47_CS step 9")
        step("10. Execute Reusable State Booted")
        sut = await csms.booted(sut, station_operator)
        step("11. The OCTT sends a GetInstalledCertificateIdsRequest CSMSRootCertificate")
        answer = await sut.call(
            "GetInstalledCertificateIds", {"certificateType": ["CSMSRootCertificate"]}
        )
        check(
            answer.get("status") == "Accepted",
            "Step 12: GetInstalledCertificateIdsResponse status Accepted",
            answer,
        )
        check(
            entry_for(
                list(answer.get("certificateHashDataChain") or []), "CSMSRootCertificate", old
            )
            is not None,
            "Step 12: certificateHashDataChain has a CSMSRootCertificate entry of the old CSMS "
            "root (M05.FR.16: the fallback)",
            answer,
        )
    finally:
        await _back_home(csms, old, new, url, priority)
        await csms.close_listener(url)


@ocpp_case("TC_B_50_CS", version="2.0.1")
async def test_tc_b_50_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Migrating to a new CSMS under a new CSMS root succeeds (M05.FR.13): the station runs
    security profile 2 or 3; Memory State CertificateInstalled <new CSMS Root certificate 2>
    (the old root installed first, so that a station with AdditionalRootCertificateCheck
    accepts it); a second websocket server whose certificate the new root signed; steps 1-6
    (only the reset is validated by the table); the station connects there, verifying with
    the new root (steps 7-8); Reusable State Booted."""
    security.require_profile(csms.config, (2, 3), "TLS with a CSMS root certificate")
    sut = await csms.ready(station_operator)
    old, new = await _install_new_root(csms, sut, check_required=False)
    profile = await csms.station_security_profile(sut)
    url = await csms.open_listener(profile, csms.listener_context(profile, csms.new_csms_root()[0]))
    priority: str | None = None
    try:
        generation = csms.generation
        _, _, priority = await _migration_steps(csms, sut, url, "TC_B_50_CS")
        step("7-8. The Charging Station connects to the new endpoint; the OCTT accepts")
        try:
            sut = await csms.next_connection(after=generation, reboot=True)
        except ConnectFailed as exc:
            raise TargetFailure(
                "Step 7: the Charging Station must validate and accept the CSMS certificate "
                f"signed by the new CSMS root on the new endpoint (M05.FR.13): {exc}"
            ) from None
        check(
            _on_listener(sut, url),
            "Step 7: the Charging Station connects to the new endpoint, accepting its "
            "certificate signed by the new CSMS root (B10.FR.04, M05.FR.13)",
            {"expected": url},
        )
        step("9. Execute Reusable State Booted")
        await csms.booted(sut, station_operator)
    finally:
        await _back_home(csms, old, new, url, priority)
        await csms.close_listener(url)


# -- B04 offline status reporting, Part 4 §5.3 reconnecting ----------------------------------


def _offline_threshold(csms: FakeCsms201) -> int:
    """OCTT's <Configured offlineThreshold> (``[station] offline_threshold``, default 5 s)."""
    return int(csms.config.station.extra.get("offline_threshold", 5))


async def _offline_plug_in(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator
) -> float:
    """Steps 1-2 of TC_B_51/52: the OCTT closes the connection and refuses reconnects; the
    operator connects the EV. Returns when the connection was closed (monotonic)."""
    step("1. The OCTT closes the WebSocket connection AND does not accept a reconnect")
    csms.behaviour.refuse_connections = True
    await csms.drop_connection()
    closed = time.monotonic()
    step("2. Manual action: connect the EV and EVSE")
    await operator.perform("plug_in", evse_id=csms.evse, connector_id=csms.connector)
    return closed


@ocpp_case("TC_B_51_CS", version="2.0.1")
async def test_tc_b_51_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Offline longer than OfflineThreshold (B04.FR.01): after reconnecting, the station
    reports every connector: the configured one Occupied (the EV connected meanwhile), the
    others Available. Departures: the table's "OCPPCommCtrl.RoutineThreshold" is read as
    OfflineThreshold (the variable the case is about); the reconnect is accepted once the
    threshold is exceeded, as step 3 says, rather than at RetryBackOffWaitMinimum."""
    sut = await csms.ready(station_operator)
    threshold = _offline_threshold(csms)
    await csms.configure(
        sut,
        {
            "OCPPCommCtrlr.OfflineThreshold": str(threshold),
            "OCPPCommCtrlr.RetryBackOffWaitMinimum": str(threshold + 2),
            "OCPPCommCtrlr.RetryBackOffRandomRange": "0",
        },
    )
    generation = csms.generation
    try:
        closed = await _offline_plug_in(csms, sut, station_operator)
        await _until(closed + threshold + 0.5)
        step("3. The OCTT accepts the reconnection, after the threshold has been exceeded")
        csms.behaviour.refuse_connections = False
        sut = await csms.next_connection(after=generation, timeout=3 * threshold + 10)
    finally:
        csms.behaviour.refuse_connections = False
    csms.ev_connected = True
    step("4. The Charging Station notifies the CSMS about the current state of all connectors")
    for evse in range(1, csms.config.station.connectors + 1):
        want = "Occupied" if evse == csms.evse else "Available"
        item = await sut.wait_for(
            "StatusNotification",
            lambda p, e=evse: p["evseId"] == e and p["connectorId"] != 0,
            describe=f"StatusNotificationRequest of EVSE {evse} after the outage",
        )
        check(
            item.payload["connectorStatus"] == want,
            f"TC_B_51_CS step 4: StatusNotificationRequest connectorStatus {want} for EVSE "
            f"{evse} (offline longer than OfflineThreshold: every connector, B04.FR.01)",
            item.payload,
        )
        _notify_event_agrees(sut, evse, int(item.payload["connectorId"]), want)


@ocpp_case("TC_B_52_CS", version="2.0.1")
async def test_tc_b_52_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Offline shorter than OfflineThreshold (B04.FR.02): after reconnecting, the station
    reports the connector whose status changed meanwhile (the configured one, Occupied).
    A report of an unchanged connector is legal traffic (warned, not failed)."""
    sut = await csms.ready(station_operator)
    threshold = _offline_threshold(csms)
    await csms.configure(
        sut,
        {
            "OCPPCommCtrlr.OfflineThreshold": str(threshold),
            "OCPPCommCtrlr.RetryBackOffWaitMinimum": str(max(threshold - 2, 1)),
            "OCPPCommCtrlr.RetryBackOffRandomRange": "0",
        },
    )
    generation = csms.generation
    try:
        await _offline_plug_in(csms, sut, station_operator)
        step("3. The OCTT accepts the reconnection attempt from the Charging Station")
        csms.behaviour.refuse_connections = False
        sut = await csms.next_connection(after=generation, timeout=threshold + 10)
    finally:
        csms.behaviour.refuse_connections = False
    csms.ev_connected = True
    step("4. The Charging Station notifies the CSMS about the configured connector")
    item = await sut.wait_for(
        "StatusNotification",
        lambda p: p["evseId"] == csms.evse and p["connectorId"] == csms.connector,
        describe="StatusNotificationRequest of the configured connector after the outage",
    )
    check(
        item.payload["connectorStatus"] == "Occupied",
        "TC_B_52_CS step 4: StatusNotificationRequest connectorStatus Occupied for the "
        f"configured evseId {csms.evse}, connectorId {csms.connector} (B04.FR.02)",
        item.payload,
    )
    _notify_event_agrees(sut, csms.evse, csms.connector, "Occupied")
    others = [
        i.payload for i in sut.link.inbox if i.action == "StatusNotification" and i is not item
    ]
    if others:
        warn(f"reported unchanged connectors after a short outage as well: {others}")


async def _until(moment: float) -> None:
    """Wait until the monotonic ``moment``: the table's own wait (the threshold passing)."""
    delay = moment - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


def _refused_since(csms: FakeCsms201, since: float) -> list[float]:
    """Wall times of the connection attempts the fake CSMS refused after ``since``."""
    return [
        e.time
        for e in csms.trace.entries
        if e.direction == "event" and e.time >= since and "refusing connection" in e.text
    ]


async def _refused_attempt(csms: FakeCsms201, since: float, timeout: float) -> float:
    """Wait for the station's next (refused) connection attempt after ``since``."""
    deadline = time.monotonic() + timeout
    while True:
        csms.refusal_seen.clear()  # before looking: a refusal from now on sets it again
        refused = _refused_since(csms, since)
        if refused:
            return refused[0]
        try:
            await asyncio.wait_for(csms.refusal_seen.wait(), deadline - time.monotonic())
        except asyncio.TimeoutError:
            raise TargetTimeout(
                f"the Charging Station made no reconnection attempt within {timeout:g} s"
            ) from None


def _retry_wait_minimum(csms: FakeCsms201) -> int:
    """OCTT's <Configured RetryBackOffWaitMinimum> (``[station] retry_backoff_wait_minimum``,
    default 2 s)."""
    return csms.retry_backoff_wait_minimum


@ocpp_case("TC_B_57_CS", version="2.0.1")
async def test_tc_b_57_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Reconnecting with back-off (Part 4 §5.3): after the OCTT closes the connection the
    station waits at least RetryBackOffWaitMinimum before reconnecting (step 2, and step 5);
    after a refused attempt it waits at least twice as long again (step 7)."""
    sut = await csms.ready(station_operator)
    minimum = _retry_wait_minimum(csms)
    await csms.configure(
        sut,
        {
            "OCPPCommCtrlr.RetryBackOffRepeatTimes": "2",
            "OCPPCommCtrlr.RetryBackOffRandomRange": "0",
            "OCPPCommCtrlr.RetryBackOffWaitMinimum": str(minimum),
        },
    )
    generation = csms.generation
    step("1. The OCTT closes the websocket connection")
    closed = time.time()
    await csms.drop_connection()
    sut = await csms.next_connection(after=generation, timeout=4 * minimum + 10)
    step("2-3. The Charging Station reconnects; the OCTT accepts")
    waited = time.time() - closed
    check(
        waited >= minimum,
        f"TC_B_57_CS step 2: the reconnection time ({waited:.2f} s) is at least the configured "
        f"RetryBackOffWaitMinimum ({minimum} s)",
        {"closed_at": closed, "waited_s": round(waited, 3)},
    )
    generation = csms.generation
    step("4. The OCTT closes the websocket connection")
    csms.behaviour.refuse_connections = True
    try:
        closed = time.time()
        await csms.drop_connection()
        step("5-6. The Charging Station reconnects; the OCTT does not accept")
        first = await _refused_attempt(csms, closed, 4 * minimum + 10)
        first_wait = first - closed
        check(
            first_wait >= minimum,
            f"TC_B_57_CS step 5: the reconnection time ({first_wait:.2f} s) is at least the "
            f"configured RetryBackOffWaitMinimum ({minimum} s)",
            {"closed_at": closed, "refused_attempt_at": first},
        )
        csms.behaviour.refuse_connections = False
        step("7-8. The Charging Station reconnects again; the OCTT accepts")
        await csms.next_connection(after=generation, timeout=8 * minimum + 10)
        second_wait = time.time() - first
    finally:
        csms.behaviour.refuse_connections = False
    check(
        second_wait >= 2 * first_wait - 0.2,
        f"TC_B_57_CS step 7: the reconnection time ({second_wait:.2f} s) is at least 2 times "
        f"the reconnection time of step 5 ({first_wait:.2f} s)",
        {"step5_wait_s": round(first_wait, 3), "step7_wait_s": round(second_wait, 3)},
    )
