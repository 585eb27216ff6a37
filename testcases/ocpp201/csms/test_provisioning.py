"""OCPP 2.0.1, CSMS under test, B. Provisioning (2.0.1 Edition 3 Part 6 §3.3 and the 2025
errata).

pytest-ocpp plays the Charging Station (the OCTT column of each scenario table). "Execute
Reusable State X" is one call of the station's method for X (Part 6 §3.18, Tables 698-710),
whose own tool validations live in that method.
"""

from __future__ import annotations

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.station import Station201, check
from pytest_ocpp.verdicts import ConnectFailed, UnexpectedSubprotocol

UNSUPPORTED_SUBPROTOCOL = "ocpp0.1"
"""The made-up OCPP version TC_B_58_CSMS offers (errata 2025-04, §6.2.21)."""


@ocpp_case("TC_B_01_CSMS", version="2.0.1")
async def test_tc_b_01_csms(new_station: Station201) -> None:
    """A registered station that cold boots is accepted (B01.FR.02: the CSMS answers the
    BootNotificationRequest; reusable state Booted wants status Accepted), then reports its
    connectors Available (B01.FR.05) and the CSMS answers both notifications."""
    step("1. Execute Reusable State Booted")
    await new_station.booted()


@ocpp_case("TC_B_58_CSMS", version="2.0.1")
async def test_tc_b_58_csms(new_station: Station201) -> None:
    """The CSMS negotiates the websocket subprotocol as OCPP-J requires (Part 4 §3.1.2, §3.2):
    no upgrade for a station offering only a version it does not speak; an upgrade that echoes
    exactly ``ocpp2.0.1`` when that version is offered after an unsupported one.

    Step 2 also passes a CSMS that does what Part 4 §3.2 literally prescribes: complete the
    upgrade *without* a Sec-WebSocket-Protocol header and close the connection at once. A CSMS
    that selects a subprotocol nobody offered, or keeps an unnegotiated connection open, fails.
    """
    station = new_station
    offered = [UNSUPPORTED_SUBPROTOCOL, station.version.subprotocol]

    step(f"1. Disconnect; reconnect with Sec-WebSocket-Protocol: {UNSUPPORTED_SUBPROTOCOL}")
    await station.disconnect()
    refused: str | None = None
    wrong_subprotocol: str | None = None
    try:
        await station.connect_unchecked([UNSUPPORTED_SUBPROTOCOL])
    except UnexpectedSubprotocol as exc:
        wrong_subprotocol = str(exc)
    except ConnectFailed as exc:
        refused = str(exc)
    step("2. The CSMS rejects the connection attempt and does NOT upgrade it")
    check(
        wrong_subprotocol is None,
        f"Step 2: no upgrade of a connection offering only {UNSUPPORTED_SUBPROTOCOL}",
        wrong_subprotocol,
    )
    if refused is not None:
        station.ctx.trace.event(station.station_id, f"upgrade refused, as required: {refused}")
    else:
        headers = station.selected_subprotocol_headers()
        check(
            not headers,
            f"Step 2: no upgrade of a connection offering only {UNSUPPORTED_SUBPROTOCOL}",
            f"HTTP 101 with Sec-WebSocket-Protocol {headers}",
        )
        # Upgraded without a Sec-WebSocket-Protocol header: conformant only if closed at once.
        await station.link.wait_closed(
            station.ctx.config.timeouts.response,
            why=(
                f"after upgrading a connection that offered only {UNSUPPORTED_SUBPROTOCOL} "
                "without selecting a subprotocol: Part 4 §3.2 requires an immediate close, "
                "TC_B_58_CSMS step 2 no upgrade at all"
            ),
        )

    step(f"3. Disconnect; reconnect with Sec-WebSocket-Protocol: {', '.join(offered)}")
    await station.disconnect()
    await station.connect(subprotocols=offered)
    step("4. The CSMS accepts the connection attempt and upgrades it")
    headers = station.selected_subprotocol_headers()
    check(
        headers == [station.version.subprotocol],
        f"Step 4: the upgrade response carries Sec-WebSocket-Protocol: "
        f"{station.version.subprotocol}",
        f"Sec-WebSocket-Protocol headers {headers}",
    )
