"""OCPP 2.0.1, Charging Station under test, A. Security part 2: upgrading the security profile
(A05) and refusing a downgrade (B09.FR.04) (2.0.1 Edition 3 Part 6 §2.1, Tables 14-17, errata
2025-09 §6.2.6-6.2.11, 6.2.17/6.2.18).

pytest-ocpp plays the CSMS, as in :mod:`.test_security` (whose docstring explains the
profiles). "When starting this testcase the OCTT will start another webSocket server for the
second connectionData slot": a second listener of the fake CSMS on a free port of the same host
with the slot's security profile (:meth:`~pytest_ocpp.csms.states201_security.SecurityStates201.second_listener`),
its URL in the SetNetworkProfileRequest, closed when the case ends. The slots and the second
slot's connection data are ``[station]`` settings (``configuration_slot``,
``configuration_slot2``, ``message_timeout2``, ``ocpp_interface2``, ``security_profile2``); the
slot in use is read from OCPPCommCtrlr.ActiveNetworkProfile (errata 6.2.17). A case that
upgraded the station ends with the station operator putting the original network connection
back (``restore_network_profile``), also when it fails.
"""

from __future__ import annotations

from pytest_ocpp import security, step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import ConnectFailed, TargetFailure, check, not_applicable

# -- A05 security profile upgrade -------------------------------------------------------------


@ocpp_case("TC_A_19_CS", version="2.0.1")
async def test_tc_a_19_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Upgrading the security profile (profiles 1 and 2; A05.FR.04-06, errata 6.2.6/6.2.7,
    6.2.17/6.2.18): Memory State CertificateInstalled CSMSRootCertificate (profile 1) or
    RenewChargingStationCertificate (profile 2); a second websocket server with <Configured
    securityProfile + 1> (its certificate from the configured CSMS root); SetNetworkProfile
    for the slot not in use, Accepted; NetworkConfigurationPriority "<that slot>,<the slot in
    use>", Accepted or RebootRequired; ResetRequest OnIdle (always, errata 6.2.18), Accepted;
    the station reconnects there with the higher profile; Reusable State Booted;
    SecurityCtrlr.SecurityProfile is the new profile and NetworkConfigurationPriority no
    longer holds the slot of the lower one (A05.FR.06). From profile 1 (errata 6.2.7): the
    OCTT serves profile 1 there for <long operation timeout> (``[station]
    downgrade_wait``, default --ocpp-message-timeout) and the station must not connect, then
    profile 2 again and the station reconnects. Afterwards the station operator puts the
    original network connection back (``restore_network_profile``)."""
    security.require_profile(csms.config, (1, 2), "a security profile to upgrade from")
    sut = await csms.ready(station_operator)
    current = await csms.station_security_profile(sut)
    active, new = await csms.slots_in_use(sut)
    priority = await csms.get_variable(sut, "OCPPCommCtrlr.NetworkConfigurationPriority") or str(
        active
    )
    higher = current + 1
    if current == 1:
        step("Before: Memory State CertificateInstalled CSMSRootCertificate")
        await csms.certificate_installed(sut, "CSMSRootCertificate")
    else:
        step("Before: Memory State RenewChargingStationCertificate")
        await csms.renew_charging_station_certificate(sut)
    async with csms.second_listener(higher) as url:
        try:
            status = await csms.set_network_profile(sut, new, url, higher, "TC_A_19_CS")
            check(status == "Accepted", "Step 2: SetNetworkProfileResponse status Accepted", status)
            result = await csms.set_priority(sut, f"{new},{active}")
            check(
                result in ("Accepted", "RebootRequired"),
                "Step 4: setVariableResult[0].attributeStatus Accepted OR RebootRequired",
                result,
            )
            generation = csms.generation
            step("5. The OCTT sends a ResetRequest with type OnIdle")
            answer = await sut.call("Reset", {"type": "OnIdle"})
            check(
                answer.get("status") == "Accepted", "Step 6: ResetResponse status Accepted", answer
            )
            step(f"7-9. The Charging Station reconnects using security profile {higher}")
            sut = await csms.next_connection(after=generation, reboot=True)
            check(
                csms.profile_of(sut.link.ws) == higher,
                f"Step 8: the Charging Station connects to the server of security profile {higher}",
                sut.link.ws.request.path if sut.link.ws.request else "",
            )
            step("10. Execute Reusable State Booted")
            sut = await csms.booted(sut, station_operator)
            value = await csms.get_variable(
                sut,
                "SecurityCtrlr.SecurityProfile",
                step_name="11. GetVariablesRequest SecurityProfile",
            )
            check(value == str(higher), f"Step 12: SecurityProfile {higher} (A05.FR.06)", value)
            value = await csms.get_variable(
                sut,
                "OCPPCommCtrlr.NetworkConfigurationPriority",
                step_name="13. GetVariablesRequest NetworkConfigurationPriority",
            )
            slots = [t.strip() for t in (value or "").split(",")]
            check(
                str(active) not in slots,
                f"Step 14: NetworkConfigurationPriority does not contain slot {active} of the "
                "lower security profile (A05.FR.06)",
                value,
            )
            if current == 1:
                await _no_downgrade(csms, url)
        finally:
            await csms.restore_network(station_operator, active, current, priority)


async def _no_downgrade(csms: FakeCsms201, url: str) -> None:
    """Errata 6.2.7 steps 15-18: the second server restarts with security profile 1; the
    station must not connect to it; then with profile 2 again, and it reconnects."""
    port = int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
    wait = float(csms.config.station.extra.get("downgrade_wait", csms.config.timeouts.message))
    generation = csms.generation
    step("15. The OCTT closes the connection and serves security profile 1 there")
    await csms.close_listener(url)
    plain = await csms.open_listener(1, None, port=port)
    try:
        await csms.next_connection(after=generation, timeout=wait)
    except ConnectFailed:
        pass
    else:
        raise TargetFailure(
            "step 16: the Charging Station reconnected using security profile 1 after it had "
            "upgraded to 2 (A05.FR.06/07: the lower profile is removed)"
        )
    finally:
        await csms.close_listener(plain)
    step("17-18. The OCTT serves security profile 2 again; the station reconnects")
    await csms.open_listener(2, csms.listener_context(2), port=port)
    await csms.next_connection(after=generation, reboot=True)


@ocpp_case("TC_A_20_CS", version="2.0.1")
async def test_tc_a_20_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """No upgrade without a valid CSMSRootCertificate (A05.FR.02, errata 6.2.8/6.2.9): the
    station runs security profile 1 with no CSMS root installed (GetInstalledCertificateIds
    CSMSRootCertificate NotFound; else not applicable); Configuration State
    NetworkConfigurationPriority is the active slot only; a second server with
    <Configured securityProfile2> (``[station] security_profile2``, default 2);
    SetNetworkProfile for the other slot, Accepted or Rejected; NetworkConfigurationPriority
    "<that slot>,<active slot>" Rejected."""
    security.require_profile(csms.config, (1,), "an upgrade from security profile 1")
    sut = await csms.ready(station_operator)
    listed = await sut.call(
        "GetInstalledCertificateIds", {"certificateType": ["CSMSRootCertificate"]}
    )
    if listed.get("certificateHashDataChain"):
        raise not_applicable(
            "the Charging Station has a CSMSRootCertificate installed (prerequisite: none)"
        )
    active, new = await csms.slots_in_use(sut)
    await csms.configure(sut, {"OCPPCommCtrlr.NetworkConfigurationPriority": str(active)})
    higher = int(csms.config.station.extra.get("security_profile2", 2))
    async with csms.second_listener(higher) as url:
        status = await csms.set_network_profile(sut, new, url, higher, "TC_A_20_CS")
        check(
            status in ("Accepted", "Rejected"),
            "Step 2: SetNetworkProfileResponse status Accepted or Rejected (errata 6.2.9)",
            status,
        )
        result = await csms.set_priority(sut, f"{new},{active}")
        check(
            result == "Rejected",
            "Step 4: setVariableResult[0].attributeStatus Rejected (A05.FR.02: no valid "
            "CSMSRootCertificate for security profile 2/3)",
            result,
        )


@ocpp_case("TC_A_21_CS", version="2.0.1")
async def test_tc_a_21_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """No upgrade to profile 3 without a Charging Station certificate (A05.FR.03, errata
    6.2.10): the station runs security profile 1 or 2 without a Charging Station certificate
    (a prerequisite no OCPP request can check: a profile-3 run, or a run in which a
    CertificateSigned ChargingStationCertificate was Accepted, is not applicable) and with a
    CSMS root (Memory State CertificateInstalled CSMSRootCertificate sets it up, deleted
    afterwards); a second server with security profile 3; SetNetworkProfile for the other
    slot, Accepted; NetworkConfigurationPriority "<that slot>,<active slot>" Rejected (restored
    when the next case starts, as every variable a case changed)."""
    security.require_profile(csms.config, (1, 2), "an upgrade to security profile 3")
    if csms.station_certificate_signed:
        raise not_applicable(
            "a Charging Station certificate was signed earlier in this run "
            "(RenewChargingStationCertificate); the prerequisite is a station without one"
        )
    sut = await csms.ready(station_operator)
    active, new = await csms.slots_in_use(sut)
    await csms.get_variable(sut, "OCPPCommCtrlr.NetworkConfigurationPriority")
    step("Before: a valid CSMSRootCertificate (Memory State CertificateInstalled)")
    await csms.certificate_installed(sut, "CSMSRootCertificate")
    async with csms.second_listener(3) as url:
        status = await csms.set_network_profile(sut, new, url, 3, "TC_A_21_CS")
        check(status == "Accepted", "Step 2: SetNetworkProfileResponse status Accepted", status)
        result = await csms.set_priority(sut, f"{new},{active}")
        check(
            result == "Rejected",
            "Step 4: setVariableResult[0].attributeStatus Rejected (A05.FR.03: no valid "
            "ChargingStationCertificate for security profile 3)",
            result,
        )


@ocpp_case("TC_A_22_CS", version="2.0.1")
async def test_tc_a_22_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A downgrade is Rejected (security profiles 2 and 3; B09.FR.04, errata 6.2.11): a
    second server with security profile 1; SetNetworkProfile for the slot not in use with
    securityProfile 1, Rejected."""
    security.require_profile(csms.config, (2, 3), "a security profile to downgrade from")
    sut = await csms.ready(station_operator)
    _, new = await csms.slots_in_use(sut)
    async with csms.second_listener(1) as url:
        status = await csms.set_network_profile(sut, new, url, 1, "TC_A_22_CS")
        check(
            status == "Rejected",
            "Step 2: SetNetworkProfileResponse status Rejected (B09.FR.04: a lower "
            "securityProfile than SecurityCtrlr.SecurityProfile)",
            status,
        )
