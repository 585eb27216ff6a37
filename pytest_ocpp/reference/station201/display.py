"""The reference station's block O display messages (SetDisplayMessage, GetDisplayMessages,
ClearDisplayMessage; Part 2 O01-O06).

``DisplayHandlers`` holds the ``@on`` handlers (mixed into the ChargePoint of one connection),
``DisplayMixin`` the station-side state and behaviour (mixed into
:class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`).

What the station supports is what its device model says (DisplayMessageCtrlr, see
:mod:`.defaults`): priorities AlwaysFront and InFront (not NormalCycle, so that a
NotSupportedPriority case applies, Part 5 UI-1.3), formats ASCII, URI and UTF8 (not HTML,
UI-2.2), every MessageState (but Faulted with the variant ``display_no_faulted_state``), at
most ``DisplayMessageCtrlr.DisplayMessages.maxLimit`` messages (001.FR.11), none while
``DisplayMessageCtrlr.Enabled`` is false. Messages live in memory that survives a reboot
(001.FR.10). A message is gone once its endDateTime passed (001.FR.07) or its transaction is
no longer running (002.FR.02); the check happens whenever the messages are consulted, which is
all a CSMS can observe. :meth:`DisplayMixin.displayed` is what the display shows now.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ocpp.routing import on
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

if TYPE_CHECKING:
    from pytest_ocpp.reference.station201.station import ReferenceStation201

__all__ = [
    "MAX_DISPLAY_MESSAGES",
    "SUPPORTED_FORMATS",
    "SUPPORTED_PRIORITIES",
    "DisplayHandlers",
    "DisplayMixin",
]

SUPPORTED_PRIORITIES = "AlwaysFront,InFront"
SUPPORTED_FORMATS = "ASCII,URI,UTF8"
SUPPORTED_STATES = ("Charging", "Faulted", "Idle", "Unavailable")
MAX_DISPLAY_MESSAGES = 10
"""DisplayMessageCtrlr.DisplayMessages maxLimit (NumberOfDisplayMessages, 001.FR.11)."""
PAGE_SIZE = 4
"""MessageInfo entries per NotifyDisplayMessagesRequest (003.FR.03/04)."""
_RANK = {"AlwaysFront": 0, "InFront": 1, "NormalCycle": 2}


def _moment(text: Any) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class DisplayMixin:
    """Configured display messages; mixed into the station."""

    def _display_store(self) -> dict[int, tuple[dict[str, Any], int]]:
        """id → (MessageInfoType as received, boot_count when set); created on first use."""
        store = self.__dict__.get("_display_messages")
        if store is None:
            store = self.__dict__["_display_messages"] = {}
        return store

    def display_messages(self: ReferenceStation201) -> dict[int, dict[str, Any]]:
        """The configured messages, after removing the expired ones (001.FR.07), those of a
        transaction no longer running (002.FR.02) and, with the defect, those set before the
        last reboot."""
        store = self._display_store()
        now = datetime.now(timezone.utc)
        running = set(self.transaction_ids.values())
        for message_id, (info, boot) in list(store.items()):
            end = _moment(info.get("end_date_time"))
            gone = (
                (end is not None and end <= now and not self.has("o_end_time_ignored"))
                or (
                    info.get("transaction_id") is not None
                    and info["transaction_id"] not in running
                    and not self.has("o_transaction_messages_kept")
                )
                or (self.has("o_not_persistent") and boot != self.boot_count)
            )
            if gone:
                del store[message_id]
        return {message_id: info for message_id, (info, _boot) in store.items()}

    def display_count(self: ReferenceStation201) -> str:
        """DisplayMessageCtrlr.DisplayMessages: how many are configured."""
        return str(len(self.display_messages()))

    def set_display_message(self: ReferenceStation201, info: dict[str, Any]) -> str:
        """SetDisplayMessage (O01, O02, O06): the checks of 001.FR.01-03/11 and 002.FR.01,
        then store, replacing a message of the same id (006.FR.01) and, for AlwaysFront, the
        other AlwaysFront message (001.FR.16)."""
        if not self.model.get_bool("DisplayMessageCtrlr.Enabled", True):
            return "Rejected"
        messages = self.display_messages()
        priority = info.get("priority")
        content = info.get("message") or {}
        if priority not in self.model.members("DisplayMessageCtrlr.SupportedPriorities") and (
            not self.has("o_priority_not_checked")
        ):
            return "NotSupportedPriority"
        states = [
            st
            for st in SUPPORTED_STATES
            if st != "Faulted" or not self.has("display_no_faulted_state")
        ]
        if (
            info.get("state") is not None
            and info["state"] not in states
            and not self.has("o_state_not_checked")
        ):
            return "NotSupportedState"
        if content.get("format") not in self.model.members(
            "DisplayMessageCtrlr.SupportedFormats"
        ) and not self.has("o_format_not_checked"):
            return "NotSupportedMessageFormat"
        tx_id = info.get("transaction_id")
        if self.has("o_set_rejected_during_transaction") and self.transaction_ids:
            return "Rejected"
        if (
            tx_id is not None
            and tx_id not in self.transaction_ids.values()
            and not self.has("o_unknown_transaction_accepted")
        ):
            return "UnknownTransaction"
        message_id = int(info["id"])
        if message_id in messages and self.has("o_replace_rejected"):
            return "Rejected"
        limit = self.model.find("DisplayMessageCtrlr.DisplayMessages")
        maximum = int(limit.max_limit) if limit and limit.max_limit else MAX_DISPLAY_MESSAGES
        if message_id not in messages and len(messages) >= maximum:
            return "Rejected"
        store = self._display_store()
        replaces = {"AlwaysFront"}
        if self.has("o_in_front_replaced"):
            replaces.add("InFront")
        if priority in replaces and not (
            priority == "AlwaysFront" and self.has("o_always_front_kept")
        ):
            for other, known in messages.items():
                if known.get("priority") == priority and other != message_id:
                    store.pop(other, None)
        store[message_id] = (dict(info), self.boot_count)
        return "Accepted"

    def clear_display_message(self: ReferenceStation201, message_id: int) -> str:
        """ClearDisplayMessage (O05): Accepted and removed, Unknown when not configured."""
        if message_id not in self.display_messages():
            return "Accepted" if self.has("o_clear_unknown_accepted") else "Unknown"
        self._display_store().pop(message_id, None)
        return "Accepted"

    def matching_display_messages(
        self: ReferenceStation201,
        ids: list[int] | None,
        priority: str | None,
        state: str | None,
    ) -> list[dict[str, Any]]:
        """The messages a GetDisplayMessagesRequest asks for (003, 004): every criterion
        given must match."""
        found = []
        for message_id, info in sorted(self.display_messages().items()):
            if ids and message_id not in ids:
                continue
            if not self.has("o_filters_ignored"):
                if priority is not None and info.get("priority") != priority:
                    continue
                if state is not None and info.get("state") != state:
                    continue
            found.append(info)
        return found

    def send_display_messages(
        self: ReferenceStation201, request_id: int, messages: list[dict[str, Any]]
    ) -> None:
        """NotifyDisplayMessagesRequest pages with the GetDisplayMessagesRequest's requestId,
        tbc true on every page but the last (003.FR.02-05, 004.FR.03-06)."""
        if self.has("o_notify_wrong_request_id"):
            request_id += 1
        pages = [messages[i : i + PAGE_SIZE] for i in range(0, len(messages), PAGE_SIZE)]
        for number, page in enumerate(pages):
            infos = [self._display_reported(info) for info in page]
            last = number == len(pages) - 1
            payload = call.NotifyDisplayMessages(
                request_id=request_id, message_info=infos, tbc=None if last else True
            )
            self.enqueue(lambda _i, p=payload: p)

    def _display_reported(self: ReferenceStation201, info: dict[str, Any]) -> dict[str, Any]:
        if not self.has("o_report_drops_optional"):
            return dict(info)
        dropped = ("state", "start_date_time", "end_date_time", "transaction_id")
        return {k: v for k, v in info.items() if k not in dropped}

    def display_state(self: ReferenceStation201) -> str:
        """The station's MessageStateEnumType now: Faulted, Unavailable, Charging or Idle."""
        if self.any_fault():
            return "Faulted"
        if self.cs_inoperative or any(
            e.inoperative or any(c.inoperative for c in e.connectors.values())
            for e in self.evses.values()
        ):
            return "Unavailable"
        if any(
            self.charging_state(e, e.session) == "Charging"
            for e in self.evses.values()
            if e.session is not None and e.session.tx is not None
        ):
            return "Charging"
        return "Idle"

    def displayed(self: ReferenceStation201) -> list[dict[str, Any]]:
        """What the display shows now: started messages (001.FR.06) for the current state
        (or any state), the AlwaysFront one alone (001.FR.15), else the InFront ones cycled
        (001.FR.13/14), else the normal cycle (001.FR.12)."""
        now = datetime.now(timezone.utc)
        state = self.display_state()
        live = [
            info
            for info in self.display_messages().values()
            if (_moment(info.get("start_date_time")) or now) <= now
            and info.get("state") in (None, state)
        ]
        if not live:
            return []
        best = min(_RANK.get(str(info.get("priority")), 3) for info in live)
        return [info for info in live if _RANK.get(str(info.get("priority")), 3) == best]


class DisplayHandlers:
    """CSMS requests of this block; mixed into the ChargePoint."""

    station: ReferenceStation201

    @on(Action.set_display_message)
    def on_set_display_message(self, message: dict[str, Any], **_: Any) -> Any:
        return call_result.SetDisplayMessage(status=self.station.set_display_message(message))

    @on(Action.get_display_messages)
    def on_get_display_messages(
        self,
        request_id: int,
        id: list[int] | None = None,
        priority: str | None = None,
        state: str | None = None,
        **_: Any,
    ) -> Any:
        """Accepted and NotifyDisplayMessages pages after the answer, or Unknown when nothing
        matches (003.FR.01/06, 004.FR.01/02/07)."""
        station = self.station
        found = station.matching_display_messages(id, priority, state)
        if not found and not station.has("o_get_never_unknown"):
            return call_result.GetDisplayMessages(status="Unknown")
        self.defer(lambda: station.send_display_messages(request_id, found))  # type: ignore[attr-defined]
        return call_result.GetDisplayMessages(status="Accepted")

    @on(Action.clear_display_message)
    def on_clear_display_message(self, id: int, **_: Any) -> Any:
        return call_result.ClearDisplayMessage(status=self.station.clear_display_message(int(id)))
