"""Working with the rigs OCPP teams already have (issue 23).

* :mod:`.coverage` — the coverage statement: which catalogue cases are implemented,
  provisional, declined (with the reason) or not yet built (``--ocpp-coverage``);
* :mod:`.opentrace` — the open-ocpp-trace v1.1 JSONL format: our trace out, anyone's trace in;
* :mod:`.checker` — judging a recorded trace with the core's own rules
  (``--ocpp-check-trace``); :mod:`.rules201` — the 2.0.1 rules across frames it adds;
* :mod:`.trigger` — CSMS operators speaking tzi-OCTT's trigger API and open-ocpp-tck's
  ``csms-server`` daemon; :mod:`.trigger_server` serves both for the reference CSMS;
* :mod:`.hooks` — the pytest glue for all of the above (registered by :mod:`pytest_ocpp.plugin`).

Framing, schemas, date-times, error codes, message ids and status transition tables come from
:mod:`pytest_ocpp.rpc`, :mod:`pytest_ocpp.judging`, :mod:`pytest_ocpp.schemas`,
:mod:`pytest_ocpp.versions` and :mod:`pytest_ocpp.csms.status_rules`, so a recorded trace is
judged exactly as a live run is. Only :mod:`.rules201` holds rules of its own (2.0.1
ChangeAvailability holds and TransactionEvent order): no live wait applies them yet.
"""
