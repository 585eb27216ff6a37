"""Station-side states of OCPP 2.0.1 Part 6 §2.18/§2.19 for one concern: the Smart Charging (K) and ISO 15118 charging-limit states: Memory State SetChargingProfile (Table 445) and Reusable State RenegotiateChargingLimits (Table 437).

One method per table, performing the table's own tool validations, used by every case that
names the state (a state written twice drifts). Mixed into
:class:`~pytest_ocpp.csms.v201.FakeCsms201` beside :class:`~pytest_ocpp.csms.states201.StationStates201`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_ocpp.csms.base import StationConnection  # noqa: F401


class SmartChargingStates201:
    """Mixin of :class:`~pytest_ocpp.csms.v201.FakeCsms201`."""

    config: Any
