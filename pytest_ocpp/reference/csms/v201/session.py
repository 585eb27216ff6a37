"""The OCPP 2.0.1 session of the reference CSMS, composed from one mixin per functional block.

2.0.1 is organised in functional blocks (Part 2: A Security, B Provisioning, C Authorization,
... O DisplayMessage). The reference grows block by block, each in a module of its own under
``v201/``, so that people working on different blocks never edit the same lines. This module
only *assembles* them.

Adding a block, e.g. ``v201/provisioning.py``:

1. In that module, write ``DEFECTS_PROVISIONING`` (names start with ``v201_``) and
   ``class ProvisioningMixin(_ReferenceSession)`` with ``BLOCK_DEFECTS = DEFECTS_PROVISIONING``
   and its ``@on(...)`` handlers. If it overrides :meth:`~_ReferenceSession.adjust_outgoing` or
   :meth:`~_ReferenceSession.intercept_call`, it must end with ``super()``'s answer, so the
   other blocks' defects still apply.
2. Here, add one import line and one entry to :data:`BLOCK_MIXINS`. Nothing else: the block's
   defects reach the public :data:`~pytest_ocpp.reference.csms.DEFECTS` through
   :data:`BLOCK_MIXINS`, and its handlers replace the empty-response fallback for the actions
   they handle.

Blocks expected to follow (one module each): ``provisioning``, ``authorization``,
``transactions``, ``remote_control``, ``availability``, ``reservation``, ``smart_charging``,
``firmware``, ``diagnostics``, ``iso15118``, ``display``, ``tariff``, ``data_transfer``. Until
then :mod:`.core` holds everything the reference already did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ocpp.routing import on
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call_result as result201

from pytest_ocpp.reference.csms.session import _ReferenceSession, merge_defects
from pytest_ocpp.reference.csms.v201.authorization import AuthorizationMixin
from pytest_ocpp.reference.csms.v201.availability import AvailabilityMixin
from pytest_ocpp.reference.csms.v201.certificates import CertificatesMixin
from pytest_ocpp.reference.csms.v201.core import CoreMixin
from pytest_ocpp.reference.csms.v201.data_transfer import DataTransferMixin
from pytest_ocpp.reference.csms.v201.diagnostics import DiagnosticsMixin
from pytest_ocpp.reference.csms.v201.display import DisplayMixin
from pytest_ocpp.reference.csms.v201.firmware import FirmwareMixin
from pytest_ocpp.reference.csms.v201.local_list import LocalListMixin
from pytest_ocpp.reference.csms.v201.meter_values import MeterValuesMixin
from pytest_ocpp.reference.csms.v201.provisioning import ProvisioningMixin
from pytest_ocpp.reference.csms.v201.remote_control import RemoteControlMixin
from pytest_ocpp.reference.csms.v201.reservation import ReservationMixin
from pytest_ocpp.reference.csms.v201.security import SecurityMixin
from pytest_ocpp.reference.csms.v201.smart_charging import SmartChargingMixin
from pytest_ocpp.reference.csms.v201.tariff import TariffMixin
from pytest_ocpp.reference.csms.v201.transactions import TransactionsMixin

# New block modules: import the mixin here, one line per block, e.g.
# from pytest_ocpp.reference.csms.v201.provisioning import ProvisioningMixin

__all__ = ["BLOCK_MIXINS", "DEFECTS_201", "FALLBACK_ACTIONS", "Session201"]

#: The functional blocks of the 2.0.1 session, one mixin each. Order is the method resolution
#: order; it only matters for the cooperative hooks (each calls ``super()``), since
#: :func:`_check_blocks` refuses two blocks defining the same handler or helper.
BLOCK_MIXINS: tuple[type[_ReferenceSession], ...] = (
    CoreMixin,
    RemoteControlMixin,
    AvailabilityMixin,
    FirmwareMixin,
    CertificatesMixin,
    ReservationMixin,
    TariffMixin,
    DisplayMixin,
    SmartChargingMixin,
    DiagnosticsMixin,
    ProvisioningMixin,
    DataTransferMixin,
    TransactionsMixin,
    MeterValuesMixin,
    AuthorizationMixin,
    LocalListMixin,
    SecurityMixin,
    # New blocks: one line each, e.g.
    # ProvisioningMixin,
)

#: Hooks every block may override, provided it ends with ``super()``'s answer.
_COOPERATIVE_HOOKS = frozenset({"adjust_outgoing", "intercept_call", "transaction_event_extras"})

#: Station-to-CSMS actions whose response may be empty: a station sending one that no block
#: handles gets that empty response rather than NotImplemented, because a conformant CSMS
#: accepts these notifications even where the reference has nothing to say about them.
#: Actions whose response has required fields (SignCertificate, Get15118EVCertificate, ...)
#: cannot be answered this way; they stay NotSupported until a block handles them.
FALLBACK_ACTIONS: tuple[str, ...] = (
    "StatusNotification",
    "MeterValues",
    "NotifyReport",
    "NotifyEvent",
    "NotifyMonitoringReport",
    "SecurityEventNotification",
    "FirmwareStatusNotification",
    "LogStatusNotification",
    "NotifyChargingLimit",
    "ClearedChargingLimit",
    "NotifyCustomerInformation",
    "NotifyDisplayMessages",
    "PublishFirmwareStatusNotification",
    "ReportChargingProfiles",
    "ReservationStatusUpdate",
)


def _own_handlers(mixin: type) -> dict[str, str]:
    """action -> method name, for the ``@on`` handlers ``mixin`` itself defines."""
    return {
        attr._on_action: name
        for name, attr in vars(mixin).items()
        if callable(attr) and hasattr(attr, "_on_action")
    }


def _check_blocks(mixins: Iterable[type]) -> None:
    """Refuse a composition where one block would silently shadow another.

    Python's MRO would let the first of two same-named methods win, and ``ocpp``'s router
    would pick one of two handlers for the same action by the order their *names* were first
    seen. Either way one block's behaviour would vanish without a sound; better to fail on
    import, naming both blocks.
    """
    methods: dict[str, str] = {}
    actions: dict[str, str] = {}
    for mixin in mixins:
        for action in _own_handlers(mixin):
            if action in actions:
                raise TypeError(
                    f"{action} is handled by both {actions[action]} and {mixin.__name__}."
                )
            actions[action] = mixin.__name__
        for name, attr in vars(mixin).items():
            if not callable(attr) or name.startswith("__") or name in _COOPERATIVE_HOOKS:
                continue
            if name in methods:
                raise TypeError(f"{name} is defined by both {methods[name]} and {mixin.__name__}.")
            methods[name] = mixin.__name__


_check_blocks(BLOCK_MIXINS)

#: Every block's defects, merged; part of the public
#: :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_201: dict[str, str] = merge_defects(
    *(vars(mixin).get("BLOCK_DEFECTS", {}) for mixin in BLOCK_MIXINS)
)


class Session201(*BLOCK_MIXINS, _ReferenceSession, ChargePoint201):  # type: ignore[misc]
    """An OCPP 2.0.1 station as the CSMS sees it: the blocks of :data:`BLOCK_MIXINS`, then the
    shared session behaviour, then the ``ocpp`` library's ChargePoint."""


def _empty_handler(action: str) -> Callable[..., Any]:
    """An ``@on`` handler that answers ``action`` with its empty response."""

    def handler(self: Session201, **_: Any) -> Any:
        return getattr(result201, action)()

    # ocpp.routing finds handlers through a global list of *function names*: the name must be
    # the attribute name, unique per action.
    handler.__name__ = f"on_{action}"
    return on(action)(handler)


def _handled_actions(cls: type) -> Mapping[str, str]:
    """action -> method name, for every ``@on`` handler ``cls`` has, inherited or not."""
    handled: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        handled.update(_own_handlers(klass))
    return handled


# After the mixins: the fallback only fills actions no block handles, so a block taking one
# over (e.g. firmware.py answering FirmwareStatusNotification) needs no edit here.
_handled = _handled_actions(Session201)
for _action in FALLBACK_ACTIONS:
    if _action not in _handled:
        setattr(Session201, f"on_{_action}", _empty_handler(_action))
del _handled, _action
