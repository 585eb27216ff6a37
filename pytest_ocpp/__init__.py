"""pytest-ocpp: OCPP conformance test cases (OCTT scenarios) as a pytest plugin."""

from pytest_ocpp.case import step
from pytest_ocpp.catalog import ocpp_case

__all__ = ["ocpp_case", "step"]
__version__ = "0.1.0"
