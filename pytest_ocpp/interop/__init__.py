"""Working with the rigs OCPP teams already have (issue 23).

* :mod:`.coverage` — the coverage statement: which catalogue cases are implemented,
  provisional, declined (with the reason) or not yet built (``--ocpp-coverage``);
* :mod:`.opentrace` — the open-ocpp-trace v1.1 JSONL format: our trace out, anyone's trace in;
* :mod:`.checker` — judging a recorded trace with the core's own rules
  (``--ocpp-check-trace``);
* :mod:`.trigger` — CSMS operators speaking tzi-OCTT's trigger API and open-ocpp-tck's
  ``csms-server`` daemon; :mod:`.trigger_server` serves both for the reference CSMS;
* :mod:`.hooks` — the pytest glue for all of the above (registered by :mod:`pytest_ocpp.plugin`).

Nothing here judges a frame by a rule of its own: framing, schemas, date-times, error codes
and status transitions come from :mod:`pytest_ocpp.rpc`, :mod:`pytest_ocpp.judging`,
:mod:`pytest_ocpp.schemas`, :mod:`pytest_ocpp.versions` and
:mod:`pytest_ocpp.csms.status_rules`, so a recorded trace is judged exactly as a live run is.
"""
