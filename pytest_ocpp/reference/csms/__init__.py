"""Conformant reference CSMS for OCPP 1.6J and 2.0.1, built on the ``ocpp`` library.

This is the default target the suite runs against, and the target our own tests use to prove
that every CSMS-side test case passes. It deliberately does not use our protocol core
(``pytest_ocpp.link`` and friends): it is built on ``ocpp.v16.ChargePoint`` /
``ocpp.v201.ChargePoint`` over ``websockets``, so a bug in our own framing cannot hide itself
by being present on both ends of the wire.

A CSMS only sends requests when asked to (:meth:`ReferenceCsms.send_request`, or a JSON
command on the ``/_control`` websocket path, see :mod:`pytest_ocpp.reference.control`). The same
channel takes ``{"kind": "setup", ...}`` commands that store per-station settings
(:meth:`ReferenceCsms.setup`).

Each entry of :data:`DEFECTS` is a named toggle that breaks exactly one behaviour; the suite's
own tests use them to prove that a test case fails when the behaviour it checks is broken.
Unprefixed defects affect OCPP 1.6 sessions only, ``v201_`` defects affect OCPP 2.0.1
sessions only; ``accept_unsupported_subprotocol`` and ``accept_wrong_password`` act on the
websocket handshake and therefore on both versions, as do those of
:data:`~.v201.security.DEFECTS_SECURITY_HANDSHAKE` (user, TLS version, client certificates)
and the ``fuzz_`` defects of the fuzz
properties (:data:`~.session.DEFECTS_FUZZ`), unless their text names one version.

Layout (1.6 and 2.0.1 never share a module):

- :mod:`.server`: :class:`ReferenceCsms`, the websocket endpoint, ``/_control``, :func:`main`;
- :mod:`.session`: the base both versions' sessions share, and the id-tag knowledge;
- :mod:`.v16`: the 1.6 session and its defects;
- :mod:`.security16`: the 1.6 Security Whitepaper's certificate signing, password change and
  profile upgrade, mixed into the 1.6 session, and their defects;
- :mod:`.v201`: the 2.0.1 session, one module per functional block (see
  :mod:`.v201.session` for how to add one).

Run it standalone::

    python -m pytest_ocpp.reference.csms --port 9000 --tag VALID=Accepted --tag BAD=Blocked
"""

from __future__ import annotations

from pytest_ocpp.reference.csms.security16 import DEFECTS_SECURITY16
from pytest_ocpp.reference.csms.server import (
    CONTROL_PATH,
    DEFECTS_HANDSHAKE,
    SUBPROTOCOLS,
    ReferenceCsms,
    main,
)
from pytest_ocpp.reference.csms.session import (
    DEFAULT_ID_TAGS,
    DEFECTS_FUZZ,
    IdTagSpec,
    merge_defects,
)
from pytest_ocpp.reference.csms.v16 import DEFECTS_16
from pytest_ocpp.reference.csms.v201 import DEFECTS_201
from pytest_ocpp.reference.csms.v201.security import DEFECTS_SECURITY_HANDSHAKE

__all__ = [
    "CONTROL_PATH",
    "DEFAULT_ID_TAGS",
    "DEFECTS",
    "SUBPROTOCOLS",
    "IdTagSpec",
    "ReferenceCsms",
    "main",
]

#: Every defect, by name -> what it breaks: each module's table, merged (a name declared in two
#: modules fails the import). In the order 1.6 (its Security Whitepaper part last), 2.0.1, fuzz,
#: handshake, as ``--help`` lists them.
DEFECTS: dict[str, str] = merge_defects(
    DEFECTS_16,
    DEFECTS_SECURITY16,
    DEFECTS_201,
    DEFECTS_FUZZ,
    DEFECTS_HANDSHAKE,
    DEFECTS_SECURITY_HANDSHAKE,
)
