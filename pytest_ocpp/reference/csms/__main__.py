"""``python -m pytest_ocpp.reference.csms``: the reference CSMS as a standalone server."""

from __future__ import annotations

from pytest_ocpp.reference.csms.server import main

if __name__ == "__main__":
    raise SystemExit(main())
