"""pytest-ocpp: OCPP conformance test cases (OCTT scenarios) as a pytest plugin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_ocpp.case import step
    from pytest_ocpp.catalog import ocpp_case

__all__ = ["ocpp_case", "step"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``step`` and ``ocpp_case`` on first use: the package is also the parent of the small
    command-line tools (``python -m pytest_ocpp.reference.control``, run once per operator
    action), which must not pay for the protocol core at every start."""
    if name == "step":
        from pytest_ocpp.case import step

        return step
    if name == "ocpp_case":
        from pytest_ocpp.catalog import ocpp_case

        return ocpp_case
    raise AttributeError(f"module 'pytest_ocpp' has no attribute {name!r}")
