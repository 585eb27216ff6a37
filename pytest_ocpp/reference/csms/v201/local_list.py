"""D. Local Authorization List Management block of the 2.0.1 session (Part 2 D01-D02): the
SendLocalListRequest and GetLocalListVersionRequest the reference CSMS is asked to send, and
the defects that break them.

The conformant reference sends what the operator job carries, so this block has no handlers;
the station's answers are recorded by the shared session. The defects live in
:meth:`LocalListMixin.adjust_outgoing`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pytest_ocpp.reference.csms.session import _ReferenceSession

__all__ = ["DEFECTS_LOCAL_LIST", "LocalListMixin"]

#: The defects :class:`LocalListMixin` implements; part of the public
#: :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_LOCAL_LIST: dict[str, str] = {
    "v201_send_local_list_wrong_update_type": (
        "SendLocalListRequest is sent with updateType Differential when Full was asked for, "
        "and vice versa (D01.FR.01)."
    ),
    "v201_send_local_list_version_zero": (
        "SendLocalListRequest carries versionNumber 0, which D01.FR.18 forbids."
    ),
    "v201_send_local_list_version_not_increased": (
        "A Differential SendLocalListRequest carries versionNumber 1 whatever the station's "
        "list version, so it is not above it (D01.FR.19: the station refuses it)."
    ),
    "v201_send_local_list_without_id_token_info": (
        "SendLocalListRequest entries leave out idTokenInfo, even in a Full update (D01.FR.15)."
    ),
    "v201_send_local_list_removal_with_id_token_info": (
        "Differential entries meant as removals (no idTokenInfo, D01.FR.17) are sent with "
        "idTokenInfo Accepted: the idTokens are added instead of removed."
    ),
    "v201_send_local_list_full_empty_has_entries": (
        "A Full SendLocalListRequest asked for without entries (clear the list, D01.FR.04) "
        "carries an entry for an idToken the CSMS knows."
    ),
    "v201_send_local_list_drops_entries": (
        "SendLocalListRequest is sent without its localAuthorizationList."
    ),
    "v201_get_local_list_version_never_sent": (
        "The CSMS cannot ask for the list version: a GetLocalListVersionRequest it is asked "
        "for is never sent."
    ),
}


class LocalListMixin(_ReferenceSession):
    """The outgoing-request defects of D01-D02; no handlers of its own."""

    BLOCK_DEFECTS: ClassVar[Mapping[str, str]] = DEFECTS_LOCAL_LIST

    def adjust_outgoing(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The defects of SendLocalList and GetLocalListVersion."""
        if action == "GetLocalListVersion" and self.defect(
            "v201_get_local_list_version_never_sent"
        ):
            return None
        if action == "SendLocalList":
            self._break_local_list(payload)
        # Cooperative hook: the other blocks' defects apply too.
        return super().adjust_outgoing(action, payload)

    def _break_local_list(self, payload: dict[str, Any]) -> None:
        """Apply this block's SendLocalList defects to ``payload`` in place."""
        update = payload.get("updateType")
        entries: list[dict[str, Any]] = list(payload.get("localAuthorizationList") or [])
        if self.defect("v201_send_local_list_wrong_update_type"):
            payload["updateType"] = "Differential" if update == "Full" else "Full"
        if self.defect("v201_send_local_list_version_zero"):
            payload["versionNumber"] = 0
        if update == "Differential" and self.defect("v201_send_local_list_version_not_increased"):
            payload["versionNumber"] = 1
        if self.defect("v201_send_local_list_without_id_token_info"):
            entries = [{"idToken": entry["idToken"]} for entry in entries]
        if update == "Differential" and self.defect(
            "v201_send_local_list_removal_with_id_token_info"
        ):
            entries = [{"idTokenInfo": {"status": "Accepted"}, **entry} for entry in entries]
        if (
            update == "Full"
            and not entries
            and self.defect("v201_send_local_list_full_empty_has_entries")
        ):
            known = next(iter(self.csms.id_tags), "VALID_TAG_1")
            entries = [
                {
                    "idToken": {"idToken": known, "type": "ISO14443"},
                    "idTokenInfo": {"status": "Accepted"},
                }
            ]
        if self.defect("v201_send_local_list_drops_entries"):
            entries = []
        if entries:
            payload["localAuthorizationList"] = entries
        else:
            payload.pop("localAuthorizationList", None)
