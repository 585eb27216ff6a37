"""Property-based fuzzing of a CSMS or a charging station (issue 15).

Scenario cases check the paths the OCA wrote down; these properties look for the ones nobody
wrote down. The pieces, each in one place:

* :mod:`~pytest_ocpp.fuzz.rules`: what a conformant answer is (error codes per mutation class
  and version, which actions each role is fuzzed with);
* :mod:`~pytest_ocpp.fuzz.strategies`: hypothesis strategies for schema-valid payloads, built
  by our own small compiler over the official schemas (README, "Fuzzing", says why not
  ``hypothesis-jsonschema``);
* :mod:`~pytest_ocpp.fuzz.mutations`: one class of invalid payload at a time;
* :mod:`~pytest_ocpp.fuzz.probe`: one exchange on the wire, judged, with the exact frames kept
  for the reproducer;
* :mod:`~pytest_ocpp.fuzz.machine`: the stateful station that walks random legal sequences;
* :mod:`~pytest_ocpp.fuzz.profiles`: the hypothesis profiles (quick by default, thorough for
  nightly runs).
"""
