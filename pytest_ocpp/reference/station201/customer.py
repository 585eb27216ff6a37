"""The reference station's customer information (Part 2 N09 Get, N10 Clear).

What this station knows about a customer, by the reference the CSMS gives (exactly one of
idToken, customerIdentifier, customerCertificate; none or several is Invalid, N09.FR.09):

* an idToken: its Authorization Cache entry, its Local Authorization List entry and the
  transactions it authorized (the idToken remembered for the cable lock, E09.FR.03);
* a customerIdentifier: the records the operator stored for it (operator action
  ``store_customer_identifier``, Part 6 TC_N_62_CS "the tester stores the customer
  identifiers at the Charging Station");
* a customerCertificate: nothing (no ISO 15118 contract certificates are kept here).

A report goes out as NotifyCustomerInformationRequests, one record per message (seqNo from 0,
tbc true on all but the last); no data is one message with empty data (N09.FR.06, N10.FR.04).
Clearing removes everything but the Local Authorization List entry, which only the CSMS may
change (N10.FR.03/06); clear without report is one message saying so (N10.FR.06). A request
with neither report nor clear is Rejected (N09.FR.07, N10.FR.07: recommended).

``CustomerHandlers`` holds the ``@on`` handler (mixed into the ChargePoint of one connection),
``CustomerMixin`` the station-side state (mixed into
:class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ocpp.routing import on
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from pytest_ocpp.reference.station201.authorization import token_key
from pytest_ocpp.reference.station201.model import same_token

if TYPE_CHECKING:
    from pytest_ocpp.reference.station201.station import ReferenceStation201

__all__ = ["CustomerHandlers", "CustomerMixin"]

MAX_DATA = 512
"""NotifyCustomerInformationRequest.data maxLength (string[0..512])."""


class CustomerMixin:
    """Customer records and the N09/N10 reports; mixed into the station."""

    customer_records: dict[str, list[str]]
    """customerIdentifier → what the operator stored for it."""

    def store_customer_identifier(self: ReferenceStation201, customer_identifier: str) -> None:
        records = self.__dict__.setdefault("customer_records", {})
        records.setdefault(customer_identifier, []).append(
            f"customerIdentifier {customer_identifier}: account record stored {self.ts()}"
        )

    def customer_data(
        self: ReferenceStation201,
        id_token: dict[str, Any] | None,
        identifier: str | None,
        clear: bool,
    ) -> list[str]:
        """The records about the customer (one text each), removed when ``clear`` (all but
        the Local Authorization List entry, N10.FR.03/06)."""
        keep = clear and self.has("n_customer_clear_ignored")
        found: list[str] = []
        if identifier is not None:
            records = self.__dict__.setdefault("customer_records", {})
            found += records.get(identifier, [])
            if clear and not keep:
                records.pop(identifier, None)
            return found
        if id_token is None:
            return found  # a customerCertificate: no contract certificates are kept here
        key = token_key(id_token)
        label = f"idToken {id_token.get('id_token')} ({id_token.get('type')})"
        cached = self.auth_cache.get(key)
        if cached is not None:
            status = cached["info"].get("status")
            found.append(f"{label}: Authorization Cache entry, status {status}")
            if clear and not keep:
                del self.auth_cache[key]
        listed = self.local_list.get(key)
        if listed is not None:
            status = (listed.get("id_token_info") or {}).get("status")
            found.append(f"{label}: Local Authorization List entry, status {status}")
        used = [tx for tx, token in self.last_token.items() if same_token(token, id_token)]
        for tx_id in used:
            found.append(f"{label}: authorized transaction {tx_id}")
            if clear and not keep:
                del self.last_token[tx_id]
        for evse in self.evses.values():
            session = evse.session
            if session is not None and session.auth is not None:
                if same_token(session.auth.id_token, id_token):
                    found.append(f"{label}: authorizes the session on EVSE {evse.id}")
        return found

    def send_customer_information(
        self: ReferenceStation201, request_id: int, pages: list[str]
    ) -> None:
        """NotifyCustomerInformationRequests: one per page, seqNo from 0, tbc on all but the
        last (N09.FR.05/06)."""
        stamp = self.ts()
        for seq_no, text in enumerate(pages):
            request = call.NotifyCustomerInformation(
                data=text[:MAX_DATA],
                seq_no=seq_no,
                generated_at=stamp,
                request_id=request_id,
                tbc=seq_no < len(pages) - 1,
            )
            self.enqueue(lambda _i, r=request: r)


class CustomerHandlers:
    """CustomerInformation (N09, N10); mixed into the ChargePoint."""

    station: ReferenceStation201
    defer: Callable[[Callable[[], None]], None]

    @on(Action.customer_information)
    def on_customer_information(
        self,
        request_id: int,
        report: bool,
        clear: bool,
        customer_certificate: dict[str, Any] | None = None,
        id_token: dict[str, Any] | None = None,
        customer_identifier: str | None = None,
        **_: Any,
    ) -> Any:
        st = self.station
        given = [x for x in (customer_certificate, id_token, customer_identifier) if x is not None]
        if len(given) != 1 and not st.has("n_customer_invalid_accepted"):
            return call_result.CustomerInformation(status="Invalid")  # N09.FR.09
        if not report and not clear:
            return call_result.CustomerInformation(status="Rejected")  # N09.FR.07, N10.FR.07
        if customer_certificate is not None and st.has("n_customer_certificate_rejected"):
            return call_result.CustomerInformation(status="Rejected")
        found = st.customer_data(id_token, customer_identifier, clear)
        if report:
            if not found:
                pages = [] if st.has("n_customer_no_data_silent") else [""]
            elif st.has("n_customer_report_empty"):
                pages = [""]
            else:
                pages = found
        else:
            pages = [] if st.has("n_customer_clear_silent") else ["Customer data cleared"]
        if pages:
            self.defer(lambda: st.send_customer_information(request_id, pages))
        return call_result.CustomerInformation(status="Accepted")
