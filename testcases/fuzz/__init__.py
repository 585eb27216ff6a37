"""Property-based fuzz tests (issue 15): see :mod:`pytest_ocpp.fuzz`."""
