"""OCPP 2.0.1 side of the reference CSMS: one module per functional block, composed into
:class:`Session201` by :mod:`.session` (read its docstring before adding a block).

Nothing in this package is imported by the 1.6 session, and it imports nothing of 1.6.
"""

from __future__ import annotations

from pytest_ocpp.reference.csms.v201.session import BLOCK_MIXINS, DEFECTS_201, Session201

__all__ = ["BLOCK_MIXINS", "DEFECTS_201", "Session201"]
