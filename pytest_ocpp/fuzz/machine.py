"""A station walking random but legal sequences against a CSMS (issue 15 point 5).

A hypothesis :class:`~hypothesis.stateful.RuleBasedStateMachine` chooses what the station does
next among what OCPP allows in its current state: boot again, heartbeat, authorize a card,
plug in, start a transaction, send meter values, stop, unplug, lose and regain the network,
answer the CSMS's remote commands.
After every step it checks what must always hold, whatever the order:

* every request was answered in time, with a frame valid against its schema (the link judges
  each one; a CallError to a request this legal is a finding too);
* transaction ids a 1.6 CSMS hands out are unique within the run (OCPP 1.6 §4.8);
* a token the CSMS accepted stays accepted within the run (ConcurrentTx excepted while it is in
  a transaction: 1.6 §7.19 / 2.0.1 AuthorizationStatusEnumType allow it);
* nothing is left unanswered and the connection stays up;
* with an unattended CSMS operator, remote commands (a TriggerMessage) arrive valid and are
  answered in the middle of it all.

The station plays exactly what the scenario tables use (no optional field they leave out), so
a finding is about the sequence, not about an exotic payload.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import FlakyFailure
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from pytest_ocpp.fuzz import profiles
from pytest_ocpp.fuzz.probe import FuzzFinding, shown
from pytest_ocpp.fuzz.run import FuzzRun, StationRole, replayed_differently
from pytest_ocpp.verdicts import TargetFailure

AVAILABLE, PREPARING, CHARGING, FINISHING = "Available", "Preparing", "Charging", "Finishing"
CONNECTORS = 2
"""At most this many connectors take part (the configured count if lower)."""


@dataclass
class Connector:
    status: str = AVAILABLE
    transaction: Any = None
    token: str | None = None
    seq_no: itertools.count[int] = field(default_factory=itertools.count)


class StationMachine(RuleBasedStateMachine):
    """Bound to one :class:`FuzzRun` by :func:`run_machine` (hypothesis builds the machine)."""

    fuzz: FuzzRun

    def __init__(self) -> None:
        super().__init__()
        run = self.fuzz
        assert isinstance(run.peer, StationRole)
        self.peer = run.peer
        config = run.ctx.config
        self.version = run.version.name
        self.count = max(1, min(CONNECTORS, config.station.connectors))
        self.connectors = {n: Connector() for n in range(1, self.count + 1)}
        self.accepted: set[str] = set()
        self.issued: dict[Any, int] = {}
        """Transaction ids of this sequence -> step; a replayed sequence must see the same
        state, so ids of other sequences are checked once the machine is done
        (:func:`run_machine`)."""
        self.all_issued: list[Any] = run.ctx.shared.setdefault(_issued_key(run), [])
        self.meter = itertools.count(1000, 100)
        self.triggered = False

    # -- plumbing --------------------------------------------------------------------------
    def _do(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        async def call() -> dict[str, Any]:
            link = await self.peer.link()
            return await link.call(action, payload)

        try:
            return self.fuzz.run(call())
        except TargetFailure as exc:
            raise FuzzFinding(f"{exc}{self._last_exchange()}") from None

    def _last_exchange(self) -> str:
        frames = [e for e in self.fuzz.ctx.trace.frames() if e.direction in ("sent", "received")]
        sent = next((e.text for e in reversed(frames) if e.direction == "sent"), None)
        received = next((e.text for e in reversed(frames) if e.direction == "received"), None)
        return f"\n  last sent:     {shown(sent)}\n  last received: {shown(received)}"

    def _now(self) -> str:
        return self.peer.station.now()

    def _status(self, connector: int, status: str) -> None:
        self.connectors[connector].status = status
        if self.version == "1.6":
            self._do(
                "StatusNotification",
                {
                    "connectorId": connector,
                    "status": status,
                    "errorCode": "NoError",
                    "timestamp": self._now(),
                },
            )
        else:
            self._do(
                "StatusNotification",
                {
                    "timestamp": self._now(),
                    "connectorStatus": "Available" if status == AVAILABLE else "Occupied",
                    "evseId": connector,
                    "connectorId": 1,
                },
            )

    def _token_status(self, token: str, info: dict[str, Any]) -> str:
        status = str(info.get("status"))
        if token in self.accepted and status not in ("Accepted", "ConcurrentTx"):
            raise FuzzFinding(
                f"the CSMS accepted token {token!r} earlier in this run and now answers "
                f"{status}: an accepted token stays accepted within a run{self._last_exchange()}"
            )
        if status == "ConcurrentTx" and not self._in_use(token):
            raise FuzzFinding(
                f"the CSMS answered ConcurrentTx for token {token!r}, which is in no "
                f"transaction of this station{self._last_exchange()}"
            )
        if status == "Accepted":
            self.accepted.add(token)
        return status

    def _in_use(self, token: str) -> bool:
        return any(c.token == token and c.transaction is not None for c in self.connectors.values())

    def _id_token(self, token: str) -> dict[str, str]:
        return {"idToken": token, "type": self.fuzz.ctx.config.tags.type_of(token)}

    # -- rules -----------------------------------------------------------------------------
    @initialize()
    def connect(self) -> None:
        self.fuzz.run(self.peer.link())
        for number in self.connectors:
            self._status(number, AVAILABLE)

    @rule()
    def heartbeat(self) -> None:
        self._do("Heartbeat", {})

    @precondition(lambda self: all(c.transaction is None for c in self.connectors.values()))
    @rule()
    def boot_again(self) -> None:
        """A reboot: BootNotification, then every connector Available again."""
        if self.version == "1.6":
            payload = {"chargePointVendor": "pytest-ocpp", "chargePointModel": "fuzz"}
        else:
            payload = {
                "chargingStation": {"model": "fuzz", "vendorName": "pytest-ocpp"},
                "reason": "PowerUp",
            }
        conf = self._do("BootNotification", payload)
        if conf.get("status") != "Accepted":
            raise FuzzFinding(
                f"the CSMS answered the BootNotification of a station it had accepted with "
                f"{conf.get('status')}{self._last_exchange()}"
            )
        for number in self.connectors:
            self._status(number, AVAILABLE)

    @rule(token=st.sampled_from(["valid", "valid_2", "invalid", "blocked"]))
    def authorize(self, token: str) -> None:
        value = getattr(self.fuzz.ctx.config.tags, token)
        if self.version == "1.6":
            info = self._do("Authorize", {"idTag": value})["idTagInfo"]
        else:
            info = self._do("Authorize", {"idToken": self._id_token(value)})["idTokenInfo"]
        self._token_status(value, info)

    @rule(data=st.data())
    def plug_in(self, data: st.DataObject) -> None:
        free = [n for n, c in self.connectors.items() if c.status == AVAILABLE]
        if not free:
            return
        number = data.draw(st.sampled_from(free), label="connector")
        self._status(number, PREPARING)

    @rule(data=st.data(), token=st.sampled_from(["valid", "valid_2"]))
    def start(self, data: st.DataObject, token: str) -> None:
        ready = [n for n, c in self.connectors.items() if c.status in (AVAILABLE, PREPARING)]
        if not ready:
            return
        number = data.draw(st.sampled_from(ready), label="connector")
        value = getattr(self.fuzz.ctx.config.tags, token)
        connector = self.connectors[number]
        if connector.status == AVAILABLE:
            # Plugging in is its own rule too; doing it here keeps starts frequent even when
            # hypothesis's swarm testing switches the plug_in rule off for a sequence.
            self._status(number, PREPARING)
        if self.version == "1.6":
            conf = self._do(
                "StartTransaction",
                {
                    "connectorId": number,
                    "idTag": value,
                    "meterStart": next(self.meter),
                    "timestamp": self._now(),
                },
            )
            transaction = conf["transactionId"]
            self._unique(transaction)
            status = self._token_status(value, conf["idTagInfo"])
        else:
            transaction = str(uuid.uuid4())
            connector.seq_no = itertools.count()
            conf = self._do(
                "TransactionEvent",
                {
                    "eventType": "Started",
                    "timestamp": self._now(),
                    "triggerReason": "Authorized",
                    "seqNo": next(connector.seq_no),
                    "transactionInfo": {"transactionId": transaction},
                    "idToken": self._id_token(value),
                    "evse": {"id": number, "connectorId": 1},
                },
            )
            info = conf.get("idTokenInfo", {"status": "Accepted"})
            status = self._token_status(value, info)
        connector.transaction, connector.token = transaction, value
        connector.status = CHARGING
        if status not in ("Accepted", "ConcurrentTx"):
            self._stop(number, "DeAuthorized")
        elif self.version == "1.6":
            self._status(number, CHARGING)

    def _unique(self, transaction: Any) -> None:
        if transaction in self.issued:
            raise FuzzFinding(
                f"the CSMS assigned transactionId {transaction} twice in one sequence of this "
                "station; OCPP 1.6 §4.8: the id identifies the transaction"
                f"{self._last_exchange()}"
            )
        self.issued[transaction] = len(self.issued)
        self.all_issued.append(transaction)

    @rule(data=st.data())
    def meter_values(self, data: st.DataObject) -> None:
        """MeterValues for a connector, inside its transaction or not (1.6 §4.7; 2.0.1 J01)."""
        number = data.draw(st.sampled_from(sorted(self.connectors)), label="connector")
        connector = self.connectors[number]
        sample = {
            "timestamp": self._now(),
            "sampledValue": [
                {"value": str(next(self.meter)), "measurand": "Energy.Active.Import.Register"}
            ],
        }
        if self.version == "1.6":
            payload: dict[str, Any] = {"connectorId": number, "meterValue": [sample]}
            if connector.transaction is not None:
                payload["transactionId"] = connector.transaction
            self._do("MeterValues", payload)
            return
        sample["sampledValue"][0]["value"] = float(sample["sampledValue"][0]["value"])
        if connector.transaction is not None:
            self._do(
                "TransactionEvent",
                {
                    "eventType": "Updated",
                    "timestamp": self._now(),
                    "triggerReason": "MeterValuePeriodic",
                    "seqNo": next(connector.seq_no),
                    "transactionInfo": {"transactionId": connector.transaction},
                    "meterValue": [sample],
                },
            )
        else:
            self._do("MeterValues", {"evseId": number, "meterValue": [sample]})

    @rule(data=st.data())
    def stop(self, data: st.DataObject) -> None:
        running = [n for n, c in self.connectors.items() if c.transaction is not None]
        if not running:
            return
        self._stop(data.draw(st.sampled_from(running), label="connector"), "Local")

    def _stop(self, number: int, reason: str) -> None:
        connector = self.connectors[number]
        if self.version == "1.6":
            self._do(
                "StopTransaction",
                {
                    "transactionId": connector.transaction,
                    "meterStop": next(self.meter),
                    "timestamp": self._now(),
                    "reason": reason,
                },
            )
        else:
            self._do(
                "TransactionEvent",
                {
                    "eventType": "Ended",
                    "timestamp": self._now(),
                    "triggerReason": "StopAuthorized" if reason == "Local" else "Deauthorized",
                    "seqNo": next(connector.seq_no),
                    "transactionInfo": {
                        "transactionId": connector.transaction,
                        "stoppedReason": reason,
                    },
                },
            )
        connector.transaction = connector.token = None
        self._status(number, FINISHING) if self.version == "1.6" else None
        connector.status = FINISHING

    @rule(data=st.data())
    def unplug(self, data: st.DataObject) -> None:
        done = [n for n, c in self.connectors.items() if c.status in (PREPARING, FINISHING)]
        if not done:
            return
        self._status(data.draw(st.sampled_from(done), label="connector"), AVAILABLE)

    @precondition(lambda self: self.peer.operator is not None and not self.triggered)
    @rule()
    def remote_trigger(self) -> None:
        """The CSMS asks for a Heartbeat (TriggerMessage, 1.6 §5.17 / 2.0.1 F06) through the
        CSMS operator; the station accepts and sends it. Only with an unattended operator,
        and once per sequence: a command operator costs a process per request."""
        self.triggered = True

        async def trigger() -> None:
            request = await self.peer.operator.request(
                self.peer.station, "TriggerMessage", {"requestedMessage": "Heartbeat"}
            )
            await request.reply({"status": "Accepted"})

        try:
            self.fuzz.run(trigger())
        except TargetFailure as exc:
            raise FuzzFinding(f"{exc}{self._last_exchange()}") from None
        self._do("Heartbeat", {})

    @rule()
    def reconnect(self) -> None:
        """The network drops and comes back: no BootNotification (1.6 §4.2; 2.0.1 B04)."""

        async def again() -> None:
            station = self.peer.station
            await station.disconnect()
            await station.connect()

        try:
            self.fuzz.run(again())
        except TargetFailure as exc:
            raise FuzzFinding(
                f"the CSMS did not take the station back after a reconnect: {exc}"
            ) from None

    @invariant()
    def nothing_unreported(self) -> None:
        try:
            self.fuzz.ctx.raise_findings()
        except TargetFailure as exc:
            raise FuzzFinding(f"{exc}{self._last_exchange()}") from None

    def teardown(self) -> None:
        """Stop what is running, so the next sequence (and the next case) starts idle."""
        try:
            for number, connector in self.connectors.items():
                if connector.transaction is not None:
                    self._stop(number, "Local")
                if connector.status != AVAILABLE:
                    self._status(number, AVAILABLE)
        except FuzzFinding:
            pass  # the sequence already failed, or will on replay: keep its own finding


def _issued_key(run: FuzzRun) -> str:
    """Where the run keeps the transaction ids a CSMS handed out, per version (2.0.1 stations
    choose their own, so that list stays empty)."""
    return f"fuzz_transaction_ids/{run.version.name}"


def run_machine(run: FuzzRun) -> None:
    """Run the machine against the CSMS under the current hypothesis profile."""
    machine = type("StationMachine", (StationMachine,), {"fuzz": run})
    settings = profiles.current()
    preamble = len(run.ctx.trace.entries)
    marks = [preamble]
    original = machine.__init__

    def start(self: StationMachine) -> None:
        marks[-1] = len(run.ctx.trace.entries)
        original(self)

    machine.__init__ = start  # type: ignore[method-assign]
    try:
        try:
            run_state_machine_as_test(machine, settings=settings)  # type: ignore[arg-type]
        except BaseException:
            run._keep_last_example(preamble, marks[-1])
            raise
    except FlakyFailure as exc:
        raise replayed_differently(exc) from None
    issued: list[Any] = run.ctx.shared.get(_issued_key(run), [])
    repeated = sorted({t for t in issued if issued.count(t) > 1}, key=str)
    if repeated:
        raise FuzzFinding(
            f"the CSMS assigned transactionId {', '.join(map(str, repeated))} more than once "
            f"across the sequences of this run ({len(issued)} transactions started); "
            "OCPP 1.6 §4.8: the id identifies the transaction"
        )
