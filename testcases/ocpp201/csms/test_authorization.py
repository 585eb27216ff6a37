"""OCPP 2.0.1, CSMS under test, C. Authorization (2.0.1 Edition 3 Part 6 §3.4, Tables 483-495,
and the 2025 errata, which change none of these cases; the ISO 15118 cases TC_C_50-52 are in
``test_authorization_15118.py``).

pytest-ocpp plays the Charging Station (the OCTT column of each scenario table). "Execute
Reusable State X" is one call of the station's method for X (Part 6 §3.18, Tables 698-710).
OCTT's configured idTokens are the ``[tags]`` of the config file: ``valid`` / ``valid_2``
(valid_idtoken / valid_idtoken2), ``invalid``, ``blocked``, ``expired``; in the GroupId cases
valid_idtoken and valid_idtoken2 "with the same GroupId" are ``valid_with_parent`` and
``valid_2_with_parent``, the <Configured groupIdToken> is ``parent``; the master pass is
``masterpass``, OCTT's masterPassGroupId ``masterpass_group``. Each token's type is its
``[tags.types]`` entry (OCTT's "<Configured ..._type>").

Steps a table lists between reusable states (a TransactionEventRequest Authorized with a token
the station took from its Authorization Cache or Local Authorization List, StopAuthorized with
a group member's token) are sent as listed; the station's bookkeeping (the running
transaction, "State is Authorized") is updated as the reusable state would have, so the states
that follow run the parts the tables give them. Cases that leave a transaction running end it
in an "After" step, also when they fail: every case starts from an idle station.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import IdTags, OcppConfig
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station201, check
from pytest_ocpp.verdicts import not_applicable

MASTER_PASS_EVSES = (1, 2)
"""TC_C_47/C_49_CSMS: "State is EnergyTransferStarted for EVSE 1 ... for EVSE 2"."""


# -- helpers ---------------------------------------------------------------------------------
def _info(conf: dict[str, Any]) -> dict[str, Any]:
    """The idTokenInfo of an AuthorizeResponse or TransactionEventResponse ({} if absent)."""
    info = conf.get("idTokenInfo")
    return info if isinstance(info, dict) else {}


def _check_status(conf: dict[str, Any], expectation: str, statuses: tuple[str, ...]) -> None:
    """``expectation`` names the step and message, e.g. "Step 2: TransactionEventResponse"."""
    check(
        _info(conf).get("status") in statuses,
        f"{expectation} idTokenInfo.status {' or '.join(statuses)}",
        conf,
    )


def _check_group(conf: dict[str, Any], expectation: str, group: str, rule: str) -> None:
    """idTokenInfo.groupIdToken.idToken is ``group`` (compared case-insensitively, as idTokens
    are)."""
    sent = (_info(conf).get("groupIdToken") or {}).get("idToken")
    check(
        isinstance(sent, str) and sent.casefold() == group.casefold(),
        f"{expectation} idTokenInfo.groupIdToken.idToken {group} ({rule})",
        conf,
    )


def _check_accepted_in_group(conf: dict[str, Any], expectation: str, group: str) -> None:
    """The GroupId tables' validation: status Accepted and the configured groupIdToken
    (C09.FR.02; C01.FR.06 for an AuthorizeResponse, C09.FR.12 for a TransactionEventResponse)."""
    _check_status(conf, expectation, ("Accepted",))
    rule = "C01.FR.06, C09.FR.02" if "Authorize" in expectation else "C09.FR.02, C09.FR.12"
    _check_group(conf, expectation, group, rule)


@contextlib.asynccontextmanager
async def _ends_idle(station: Station201) -> AsyncIterator[None]:
    """End the transaction the scenario left running (general post-condition). After a
    failure the clean-up is best effort, so the failure's own message stays the verdict."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            await station.leave_idle()
        raise
    if station.transaction_id is not None:
        step("After: end the transaction and free the connector (idle station for the next case)")
        await station.leave_idle()


async def _authorized_by_cache(station: Station201, token: str, expectation: str) -> dict[str, Any]:
    """A TransactionEventRequest triggerReason Authorized with ``token``, which the station
    took from its Authorization Cache or Local Authorization List (no AuthorizeRequest first,
    C12.FR.02): eventType Updated when the transaction already started, else Started. The
    station is then authorized, as reusable state Authorized leaves it. Returns the
    response."""
    real = station
    event = "Updated" if real.transaction_id is not None else "Started"
    conf = await real.transaction_event(
        event, "Authorized", id_token=real.id_token(token), meter=event == "Started"
    )
    real.authorized_token = token
    real.state = "Authorized"
    step(expectation)
    return conf


async def _stop_authorized_by(station: Station201, token: str) -> dict[str, Any]:
    """A TransactionEventRequest Updated / StopAuthorized with ``token`` (another member of
    the group that started the transaction, C09.FR.03). The station is then in state
    StopAuthorized, as reusable state EVConnectedPostSession expects. Returns the response."""
    real = station
    conf = await real.transaction_event("Updated", "StopAuthorized", id_token=real.id_token(token))
    real.state = "StopAuthorized"
    return conf


# -- C01/C04/C06: local start, the CSMS says the idToken is not valid ------------------------
@ocpp_case("TC_C_02_CSMS", version="2.0.1")
async def test_tc_c_02_csms(station: Station201, tags: IdTags) -> None:
    """The CSMS reports an idToken it does not know as not valid (C01.FR.07: a status that
    indicates acceptance or the reason for rejection; C04.FR.01, C06.FR.04)."""
    step("1. The OCTT sends an AuthorizeRequest with the configured invalid idToken")
    info = await station.authorize(tags.invalid)
    step("2. The CSMS responds with an AuthorizeResponse")
    check(
        info["status"] in ("Invalid", "Unknown"),
        "Step 2: AuthorizeResponse idTokenInfo.status Invalid or Unknown",
        info,
    )


@ocpp_case("TC_C_06_CSMS", version="2.0.1")
async def test_tc_c_06_csms(station: Station201, tags: IdTags) -> None:
    """The CSMS reports a blocked idToken as such (C01.FR.07).

    Part 6 Table 484 reads "status Linked or Invalid"; "Linked" is no AuthorizationStatusEnumType
    value and the case is titled "Authorization Blocked", so Blocked or Invalid is judged."""
    step("1. The OCTT sends an AuthorizeRequest with the configured blocked idToken")
    info = await station.authorize(tags.blocked)
    step("2. The CSMS responds with an AuthorizeResponse")
    check(
        info["status"] in ("Blocked", "Invalid"),
        "Step 2: AuthorizeResponse idTokenInfo.status Blocked or Invalid",
        info,
    )


@ocpp_case("TC_C_07_CSMS", version="2.0.1")
async def test_tc_c_07_csms(station: Station201, tags: IdTags) -> None:
    """The CSMS reports an expired idToken as such (C01.FR.07)."""
    step("1. The OCTT sends an AuthorizeRequest with the configured expired idToken")
    info = await station.authorize(tags.expired)
    step("2. The CSMS responds with an AuthorizeResponse")
    check(
        info["status"] in ("Expired", "Invalid"),
        "Step 2: AuthorizeResponse idTokenInfo.status Expired or Invalid",
        info,
    )


# -- C12: start with a cached idToken --------------------------------------------------------
@ocpp_case("TC_C_08_CSMS", version="2.0.1")
async def test_tc_c_08_csms(station: Station201, tags: IdTags) -> None:
    """An idToken the station accepted from its Authorization Cache, without asking first,
    reaches the CSMS in a TransactionEventRequest, and the CSMS checks it there and finds it
    Accepted (C12.FR.02, C12.FR.03). The table's note "TxStartPoint contains
    ParkingBayOccupancy" only explains why the event is an Updated one: the transaction
    started before (here at EVConnected, Part 6 §3.1)."""
    step("Before: Reusable State EVConnectedPreSession")
    await station.ev_connected_pre_session()
    async with _ends_idle(station):
        step(
            "1. The OCTT sends a TransactionEventRequest (Updated, triggerReason Authorized) "
            "with the valid idToken configured in its Authorization Cache"
        )
        conf = await _authorized_by_cache(
            station, tags.valid, "2. The CSMS responds with a TransactionEventResponse"
        )
        _check_status(
            conf,
            "Step 2 (C12.FR.03: the CSMS checks the cached idToken): TransactionEventResponse",
            ("Accepted",),
        )


@ocpp_case("TC_C_20_CSMS", version="2.0.1")
async def test_tc_c_20_csms(station: Station201, tags: IdTags) -> None:
    """An idToken the station's Authorization Cache holds as valid, but which the CSMS does not
    know as valid, reaches the CSMS in a TransactionEventRequest, and the CSMS reports it not
    valid (C12.FR.03), so the station can stop the energy offer."""
    step("Before: Reusable State EVConnectedPreSession")
    await station.ev_connected_pre_session()
    async with _ends_idle(station):
        step(
            "1. The OCTT sends a TransactionEventRequest (Updated, triggerReason Authorized) "
            "with the configured invalid idToken"
        )
        conf = await _authorized_by_cache(
            station, tags.invalid, "2. The CSMS responds with a TransactionEventResponse"
        )
        _check_status(
            conf,
            "Step 2 (C12.FR.03: the CSMS checks the cached idToken): TransactionEventResponse",
            ("Invalid", "Unknown"),
        )


# -- C11: clear the Authorization Cache ------------------------------------------------------
async def _clear_cache(station: Station201, csms_operator: CsmsOperator, answer: str) -> None:
    """The CSMS operator is asked for a ClearCacheRequest (the table names no manual action,
    but a CSMS sends it on a user's request, C11); the station answers ``answer``. The
    request has no fields: it arriving, schema-valid, is what the table checks."""
    step("1. The CSMS sends a ClearCacheRequest")
    request = await csms_operator.request(station, "ClearCache", {})
    step(f"2. The OCTT responds with a ClearCacheResponse with status {answer}")
    await request.reply({"status": answer})


@ocpp_case("TC_C_37_CSMS", version="2.0.1")
async def test_tc_c_37_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can make a station clear its Authorization Cache (C11), which it does."""
    await _clear_cache(station, csms_operator, "Accepted")


@ocpp_case("TC_C_38_CSMS", version="2.0.1")
async def test_tc_c_38_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can ask a station to clear its Authorization Cache and takes Rejected for an
    answer (C11: a station whose cache is disabled)."""
    await _clear_cache(station, csms_operator, "Rejected")


# -- C09: authorization by GroupId -----------------------------------------------------------
@ocpp_case("TC_C_39_CSMS", version="2.0.1")
async def test_tc_c_39_csms(station: Station201, tags: IdTags) -> None:
    """Two idTokens of one group: the CSMS reports the group of each in every idTokenInfo
    (C01.FR.06, C09.FR.02, C09.FR.12), so the second can stop the transaction the first
    started (C09.FR.03)."""
    group = tags.parent
    step("Before: Reusable State EVConnectedPreSession")
    await station.ev_connected_pre_session()
    async with _ends_idle(station):
        step("1. The OCTT sends an AuthorizeRequest with the configured valid_idtoken2")
        conf = await station.call(
            "Authorize", {"idToken": station.id_token(tags.valid_2_with_parent)}
        )
        step("2. The CSMS responds with an AuthorizeResponse")
        _check_accepted_in_group(conf, "Step 2: AuthorizeResponse", group)
        step(
            "3. The OCTT sends a TransactionEventRequest (triggerReason Authorized) with the "
            "configured valid_idtoken"
        )
        conf = await _authorized_by_cache(
            station,
            tags.valid_with_parent,
            "4. The CSMS responds with a TransactionEventResponse",
        )
        _check_accepted_in_group(conf, "Step 4: TransactionEventResponse", group)
        step("5. Execute Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        step("6. The OCTT sends an AuthorizeRequest with the configured valid_idtoken2")
        conf = await station.call(
            "Authorize", {"idToken": station.id_token(tags.valid_2_with_parent)}
        )
        step("7. The CSMS responds with an AuthorizeResponse")
        _check_accepted_in_group(conf, "Step 7: AuthorizeResponse", group)
        step(
            "8. The OCTT sends a TransactionEventRequest (Updated, triggerReason StopAuthorized) "
            "with the configured valid_idtoken2"
        )
        conf = await _stop_authorized_by(station, tags.valid_2_with_parent)
        step("9. The CSMS responds with a TransactionEventResponse")
        _check_accepted_in_group(conf, "Step 9: TransactionEventResponse", group)
        step("10. Execute Reusable State EVConnectedPostSession")
        await station.ev_connected_post_session()
        step("11. Execute Reusable State EVDisconnected")
        await station.ev_disconnected()


@ocpp_case("TC_C_40_CSMS", version="2.0.1")
async def test_tc_c_40_csms(station: Station201, tags: IdTags) -> None:
    """Two idTokens of one group that the station has in its Local Authorization List, so it
    never sends an AuthorizeRequest: the CSMS still reports the group in each
    TransactionEventResponse (C09.FR.02, C09.FR.12), the second token stopping the transaction
    the first started (C09.FR.03)."""
    group = tags.parent
    step("Before: Reusable State EVConnectedPreSession")
    await station.ev_connected_pre_session()
    async with _ends_idle(station):
        step(
            "1. The OCTT sends a TransactionEventRequest (triggerReason Authorized) with the "
            "configured valid_idtoken from its Local Authorization List"
        )
        conf = await _authorized_by_cache(
            station,
            tags.valid_with_parent,
            "2. The CSMS responds with a TransactionEventResponse",
        )
        _check_accepted_in_group(conf, "Step 2: TransactionEventResponse", group)
        step("3. Execute Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        step(
            "5. The OCTT sends a TransactionEventRequest (Updated, triggerReason StopAuthorized) "
            "with the configured valid_idtoken2 from its Local Authorization List"
        )
        conf = await _stop_authorized_by(station, tags.valid_2_with_parent)
        step("6. The CSMS responds with a TransactionEventResponse")
        _check_accepted_in_group(conf, "Step 6: TransactionEventResponse", group)
        step("7. Execute Reusable State EVConnectedPostSession")
        await station.ev_connected_post_session()
        step("8. Execute Reusable State EVDisconnected")
        await station.ev_disconnected()


@ocpp_case("TC_C_43_CSMS", version="2.0.1")
async def test_tc_c_43_csms(station: Station201, tags: IdTags) -> None:
    """The first idToken of a group comes from the station's Local Authorization List; the
    second one, which the station holds as invalid there (the title's "Invalid status"), is
    presented to the CSMS in an AuthorizeRequest and reported Accepted with the group
    (C01.FR.06, C09.FR.02), so it can stop the transaction (C09.FR.03, C09.FR.12).

    The table's step 5 names an "ActivateResponse" and steps 2 and 7 a "TransactionResponse":
    the AuthorizeResponse and TransactionEventResponse the steps describe are judged. Its
    validation of "Step 1" is that of step 2, the response."""
    group = tags.parent
    step("Before: Reusable State EVConnectedPreSession")
    await station.ev_connected_pre_session()
    async with _ends_idle(station):
        step(
            "1. The OCTT sends a TransactionEventRequest (triggerReason Authorized) with the "
            "configured valid_idtoken"
        )
        conf = await _authorized_by_cache(
            station,
            tags.valid_with_parent,
            "2. The CSMS responds with a TransactionEventResponse",
        )
        _check_accepted_in_group(conf, "Step 2: TransactionEventResponse", group)
        step("3. Execute Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        step("4. The OCTT sends an AuthorizeRequest with the configured valid_idtoken2")
        conf = await station.call(
            "Authorize", {"idToken": station.id_token(tags.valid_2_with_parent)}
        )
        step("5. The CSMS responds with an AuthorizeResponse")
        _check_accepted_in_group(conf, "Step 5: AuthorizeResponse", group)
        step(
            "6. The OCTT sends a TransactionEventRequest (Updated, triggerReason StopAuthorized) "
            "with the configured valid_idtoken2"
        )
        conf = await _stop_authorized_by(station, tags.valid_2_with_parent)
        step("7. The CSMS responds with a TransactionEventResponse")
        _check_accepted_in_group(conf, "Step 7: TransactionEventResponse", group)
        step("8. Execute Reusable State EVConnectedPostSession")
        await station.ev_connected_post_session()
        step("9. Execute Reusable State EVDisconnected")
        await station.ev_disconnected()


# -- C16: stop transactions with a master pass -----------------------------------------------
@dataclass
class _Running:
    """One EVSE's transaction while another EVSE's runs too: the station keeps the bookkeeping
    of one transaction at a time (transactionId, seqNo), so each is set aside here and put
    back before its next event."""

    evse_id: int
    transaction_id: str
    seq_no: Iterator[int]


class _Evses:
    """The transactions of "State is EnergyTransferStarted for EVSE 1 with idToken X, for
    EVSE 2 with idToken Y": reusable states Authorized (with that idToken) and
    EnergyTransferStarted (for that EVSE) once per EVSE, then each transaction's events."""

    def __init__(self, station: Station201) -> None:
        self.station = station
        self.running: list[_Running] = []
        self.used: list[int] = []

    async def start(self, evse_id: int, token: str) -> None:
        station = self.station
        step(
            f"Before: Reusable States Authorized ({token}), EnergyTransferStarted (EVSE {evse_id})"
        )
        self.used.append(evse_id)
        await station.authorized(token)
        await station.energy_transfer_started(evse_id=evse_id, connector_id=1)
        if station.transaction_id is None:
            raise RuntimeError("EnergyTransferStarted left no transaction running")
        self.running.append(_Running(evse_id, station.transaction_id, station.seq_no))
        # Free the station's bookkeeping for the next EVSE's transaction.
        station.transaction_id = None
        station.authorized_token = None
        station.ev_connected = False
        station.state = "Booted"

    def _resume(self, running: _Running) -> None:
        self.station.transaction_id = running.transaction_id
        self.station.seq_no = running.seq_no
        self.station.ev_connected = True

    async def end_by_master_pass(self, running: _Running, token: str) -> dict[str, Any]:
        """C16 steps 6a/4b: TransactionEventRequest Ended with stoppedReason MasterPass and
        ``token``; triggerReason (required, not in the table) StopAuthorized, the master pass
        being the authorization to stop. Returns the response."""
        self._resume(running)
        self.running.remove(running)
        return await self.station.transaction_event(
            "Ended",
            "StopAuthorized",
            id_token=self.station.id_token(token),
            stopped_reason="MasterPass",
        )

    async def leave_idle(self) -> None:
        """End what still runs (as :meth:`Station201.leave_idle`) and report every used
        EVSE's connector Available: the CSMS keeps nothing open for the next case."""
        for running in list(self.running):
            self._resume(running)
            self.running.remove(running)
            await self.station.leave_idle()
        for evse_id in self.used:
            await self.station.connector_status(evse_id, 1, "Available")
        self.station.ev_connected = False
        self.station.state = "EVDisconnected"


@contextlib.asynccontextmanager
async def _master_pass_scenario(
    station: Station201, evse_tokens: list[tuple[int, str]]
) -> AsyncIterator[_Evses]:
    """The transactions of the Before state, and the "After" that frees every EVSE (best
    effort after a failure, so the failure's own message stays the verdict)."""
    evses = _Evses(station)
    try:
        for evse_id, token in evse_tokens:
            await evses.start(evse_id, token)
        yield evses
    except BaseException:
        with contextlib.suppress(Exception):
            await evses.leave_idle()
        raise
    step("After: end what still runs and free the connectors (idle station for the next case)")
    await evses.leave_idle()


def _two_evses(ocpp_config: OcppConfig, tags: IdTags) -> list[tuple[int, str]]:
    """EVSE 1 with the valid idToken, EVSE 2 with valid_idtoken2 (TC_C_47/C_49 Before)."""
    if ocpp_config.station.connectors < len(MASTER_PASS_EVSES):
        raise not_applicable(
            "the scenario runs transactions on EVSE 1 and EVSE 2; [station] connectors is "
            f"{ocpp_config.station.connectors}"
        )
    return list(zip(MASTER_PASS_EVSES, (tags.valid, tags.valid_2), strict=True))


async def _authorize_master_pass(station: Station201, tags: IdTags) -> None:
    """Steps 1-2: the master pass presented; the CSMS answers with its group, equal to
    MasterPassGroupId, and a valid status (C16 scenario step 3; C01.FR.06)."""
    step("1. The OCTT sends an AuthorizeRequest with the configured masterpass idToken")
    conf = await station.call("Authorize", {"idToken": station.id_token(tags.masterpass)})
    step("2. The CSMS responds with an AuthorizeResponse")
    _check_status(conf, "Step 2: AuthorizeResponse", ("Accepted",))
    _check_group(
        conf,
        "Step 2: AuthorizeResponse",
        tags.masterpass_group,
        "masterPassGroupId; C16 scenario step 3, C01.FR.06",
    )


@ocpp_case("TC_C_47_CSMS", version="2.0.1")
async def test_tc_c_47_csms(station: Station201, tags: IdTags, ocpp_config: OcppConfig) -> None:
    """A master pass presented at a station with a UI, whose user stops all transactions
    (C16.FR.01, scenario 6a): the CSMS reports the master pass valid with its group
    MasterPassGroupId, and answers each Ended event.

    Table 493 has no tool validations row (it ends after step 4); those of TC_C_48_CSMS, the
    same use case, are applied: AuthorizeResponse and each TransactionEventResponse with
    status Accepted and groupIdToken masterPassGroupId (C01.FR.06, C09.FR.12)."""
    async with _master_pass_scenario(station, _two_evses(ocpp_config, tags)) as evses:
        await _authorize_master_pass(station, tags)
        step(
            "3. The OCTT sends a TransactionEventRequest (Ended, stoppedReason MasterPass) with "
            "the masterpass idToken for both EVSE"
        )
        for running in list(evses.running):
            conf = await evses.end_by_master_pass(running, tags.masterpass)
            step(f"4. The CSMS responds with a TransactionEventResponse (EVSE {running.evse_id})")
            expectation = f"Step 4: TransactionEventResponse (EVSE {running.evse_id})"
            _check_accepted_in_group(conf, expectation, tags.masterpass_group)


@ocpp_case("TC_C_48_CSMS", version="2.0.1")
async def test_tc_c_48_csms(station: Station201, tags: IdTags, ocpp_config: OcppConfig) -> None:
    """A master pass presented at a station with a UI, whose user stops one transaction
    (C16.FR.01, scenario 6a): the CSMS reports the master pass valid with its group
    MasterPassGroupId, in the AuthorizeResponse and the Ended event's response.

    Step 1 of Table 494 names the valid idToken, yet step 2 validates the group
    masterPassGroupId, which only the master pass has, and the use case presents the master
    pass: the masterpass idToken is sent. "EnergyTransferStarted for all EVSE" runs a
    transaction on each EVSE, with valid_idtoken and valid_idtoken2 (a third EVSE would need a
    third valid idToken OCTT does not configure)."""
    connectors = min(ocpp_config.station.connectors, len(MASTER_PASS_EVSES))
    evse_tokens = list(zip(range(1, connectors + 1), (tags.valid, tags.valid_2), strict=False))
    async with _master_pass_scenario(station, evse_tokens) as evses:
        await _authorize_master_pass(station, tags)
        running = evses.running[0]
        step(
            "3. The OCTT sends a TransactionEventRequest (Ended, stoppedReason MasterPass) with "
            f"the masterpass idToken (EVSE {running.evse_id})"
        )
        conf = await evses.end_by_master_pass(running, tags.masterpass)
        step("4. The CSMS responds with a TransactionEventResponse")
        _check_accepted_in_group(conf, "Step 4: TransactionEventResponse", tags.masterpass_group)


@ocpp_case("TC_C_49_CSMS", version="2.0.1")
async def test_tc_c_49_csms(station: Station201, tags: IdTags, ocpp_config: OcppConfig) -> None:
    """A master pass presented at a station without a UI, which stops all transactions
    (C16.FR.02, scenario 4b): the CSMS reports the master pass valid with its group
    MasterPassGroupId, and answers each Ended event.

    The Ended events carry the valid idToken, as Table 495 step 3 lists. The table has no tool
    validations row; TC_C_48_CSMS's are applied as far as they fit: the AuthorizeResponse with
    status Accepted and masterPassGroupId, each TransactionEventResponse with status Accepted
    (the valid idToken has no master-pass group to report)."""
    async with _master_pass_scenario(station, _two_evses(ocpp_config, tags)) as evses:
        await _authorize_master_pass(station, tags)
        step(
            "3. The OCTT sends a TransactionEventRequest (Ended, stoppedReason MasterPass) with "
            "the valid idToken for both EVSE"
        )
        for running in list(evses.running):
            conf = await evses.end_by_master_pass(running, tags.valid)
            step(f"4. The CSMS responds with a TransactionEventResponse (EVSE {running.evse_id})")
            _check_status(
                conf, f"Step 4: TransactionEventResponse (EVSE {running.evse_id})", ("Accepted",)
            )
