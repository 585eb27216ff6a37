"""The fake CSMS (server role) that a charging station under test connects to: the shared
server in :mod:`.base`, one module per OCPP version with its reusable states."""

from pytest_ocpp.config import OcppConfig
from pytest_ocpp.csms.base import CsmsBehaviour, FakeCsms, StationConnection
from pytest_ocpp.csms.v16 import FakeCsms16
from pytest_ocpp.csms.v201 import FakeCsms201

FAKE_CSMS_CLASSES: dict[str, type[FakeCsms]] = {"1.6": FakeCsms16, "2.0.1": FakeCsms201}


def fake_csmss(
    config: OcppConfig, host: str, port: int, *, share_port: bool
) -> dict[str, FakeCsms]:
    """One fake CSMS per selected version, not started. With ``share_port`` (a station
    under test on ``--ocpp-listen``) they share the first one's port and the subprotocol the
    station offers picks the version; otherwise each listens on a port of its own (the
    embedded reference stations, one per version)."""
    fakes: dict[str, FakeCsms] = {}
    primary: FakeCsms | None = None
    for version in config.versions:
        fake = FAKE_CSMS_CLASSES[version.name](config, version, host=host, port=port)
        if primary is not None and share_port:
            fake.share_server_with(primary)
        primary = primary or fake
        fakes[version.name] = fake
    return fakes


__all__ = [
    "FAKE_CSMS_CLASSES",
    "CsmsBehaviour",
    "FakeCsms",
    "FakeCsms16",
    "FakeCsms201",
    "StationConnection",
    "fake_csmss",
]
