"""The ``ocpp_sim`` fixture: simulated stations for a team's own end-to-end tests of its CSMS.

    async def test_my_flow(ocpp_sim):
        station = ocpp_sim.station("CP_1")
        await station.start(1, "VALID_TAG_1")          # plug in, present the card
        await station.wait_for_status(1, "Charging", timeout=5)
        ...                                            # look at your CSMS's API here
        await station.stop(1)

The CSMS is ``--ocpp-target`` (or the embedded reference CSMS with ``--ocpp-reference``), the
version the first of ``--ocpp-version``. The same stations listen on MQTT in the same run
(``ocpp_sim.mqtt_url``, password masked; prefix ``--ocpp-sim-prefix``): the broker is
``--ocpp-sim-mqtt`` (``mqtt[s]://[USER:PASSWORD@]HOST:PORT``, TLS files ``--ocpp-mqtt-ca-file``,
``--ocpp-mqtt-cert-file``, ``--ocpp-mqtt-key-file``), else a Mosquitto started once per run;
without either, a warning says so once, only the Python API drives the stations, and reading
``ocpp_sim.mqtt_url`` fails the test with that sentence (``ocpp_sim.has_mqtt`` tells first).

The simulator lives on the test's own event loop (function scope), as pytest-asyncio wants:
a server in a session loop is unreachable from tests running in function loops (DESIGN.md).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from pytest_ocpp.config import OcppConfig
from pytest_ocpp.sim.broker import BrokerError, MosquittoBroker, MqttAddress, parse_mqtt_url

__all__ = ["OcppSimWarning", "ocpp_sim", "ocpp_sim_broker"]


class OcppSimWarning(UserWarning):
    """The ``ocpp_sim`` fixture runs without something a user may expect (its MQTT broker)."""


NO_BROKER = (
    "ocpp_sim has no MQTT broker in this run: {why}; its stations are driven from Python only "
    "(install Mosquitto with 'apt-get install mosquitto', or give a broker with "
    "--ocpp-sim-mqtt=mqtt://HOST:PORT)"
)

_NO_BROKER_KEY = pytest.StashKey[str]()
"""Why the run has no broker (for the sentence ``ocpp_sim.mqtt_url`` fails with)."""


def _setting(
    config: pytest.Config, ocpp: OcppConfig, name: str, default: str | None = None
) -> str | None:
    """One ``--ocpp-sim-*`` setting from its four sources, strongest first (as every
    pytest-ocpp setting: command line, environment, ini, the config file's [ocpp] table)."""
    document = ocpp.raw.get("ocpp", ocpp.raw)
    values = [
        config.getoption("--ocpp-" + name.replace("_", "-"), None),
        os.environ.get("OCPP_" + name.upper()),
        config.getini("ocpp_" + name),
        document.get(name),
    ]
    for value in values:
        if value:
            return str(value)
    return default


@pytest.fixture(scope="session")
def ocpp_sim_broker(
    request: pytest.FixtureRequest, ocpp_config: OcppConfig
) -> Iterator[MqttAddress | None]:
    """The run's MQTT broker: ``--ocpp-sim-mqtt``, else Mosquitto on loopback, else None."""
    url = _setting(request.config, ocpp_config, "sim_mqtt")
    if url:
        try:
            address = parse_mqtt_url(
                url,
                ca_file=_setting(request.config, ocpp_config, "mqtt_ca_file"),
                cert_file=_setting(request.config, ocpp_config, "mqtt_cert_file"),
                key_file=_setting(request.config, ocpp_config, "mqtt_key_file"),
            )
        except BrokerError as exc:
            raise pytest.UsageError(f"pytest-ocpp: --ocpp-sim-mqtt: {exc}") from None
        yield address
        return
    broker = MosquittoBroker()
    try:
        if broker.binary is None:
            raise BrokerError("mosquitto is not installed and --ocpp-sim-mqtt is not set")
        broker.start()
    except BrokerError as exc:
        # Said once per run (this fixture is session-scoped), not once per test.
        why = str(exc).rstrip(".")
        request.config.stash[_NO_BROKER_KEY] = why
        warnings.warn(NO_BROKER.format(why=why), OcppSimWarning, stacklevel=1)
        yield None
        return
    try:
        yield broker.address
    finally:
        broker.stop()


class SimHandle:
    """What ``ocpp_sim`` gives a test: stations by id, and where their MQTT topics are."""

    def __init__(self, simulator: Any, address: MqttAddress | None, no_broker: str = "") -> None:
        self.simulator = simulator
        self._address = address
        self._no_broker = no_broker or "no broker was started"
        self.prefix = simulator.prefix

    @property
    def has_mqtt(self) -> bool:
        """Whether the stations also listen on MQTT in this run."""
        return self._address is not None

    @property
    def mqtt(self) -> MqttAddress:
        """The broker's address; without a broker, the test fails with the reason and the
        remedy (a sentence, not an AttributeError on None three lines later)."""
        if self._address is None:
            pytest.fail(NO_BROKER.format(why=self._no_broker), pytrace=False)
        return self._address

    @property
    def mqtt_url(self) -> str:
        """The broker's URL, password masked (see :attr:`mqtt`)."""
        return self.mqtt.url

    def station(self, station_id: str = "CP_1") -> Any:
        """The simulated station ``station_id`` (a :class:`~pytest_ocpp.sim.station.SimStation`),
        connecting to the CSMS from its first use; its commands wait for the first boot."""
        return self.simulator.station(station_id)


@pytest_asyncio.fixture
async def ocpp_sim(
    request: pytest.FixtureRequest,
    ocpp_config: OcppConfig,
    ocpp_target: str,
    ocpp_sim_broker: MqttAddress | None,
) -> AsyncIterator[SimHandle]:
    """Simulated charging stations connected to the CSMS under test, driven from the test
    (``await station.plug_in(1)``) and over MQTT; stopped when the test ends."""
    from pytest_ocpp.sim.simulator import Simulator

    config = ocpp_config
    options: dict[str, Any] = {"response_timeout": config.timeouts.response}
    if config.basic_auth_password:
        options["basic_auth_password"] = config.basic_auth_password
    if config.tls.ca_file:
        options["tls_ca_file"] = config.tls.ca_file
    simulator = Simulator(
        ocpp_target,
        config.versions[0].name,
        mqtt=ocpp_sim_broker,
        prefix=_setting(request.config, config, "sim_prefix", "ocpp") or "ocpp",
        mqtt_timeout=config.timeouts.connect,  # --ocpp-connect-timeout
        connect_timeout=config.timeouts.connect,
        **options,
    )
    try:
        await simulator.start()
    except ConnectionError as exc:
        # A wrong password or an untrusted broker: the sentence, not our traceback.
        pytest.fail(f"ocpp_sim: {exc}", pytrace=False)
    try:
        no_broker = request.config.stash.get(_NO_BROKER_KEY, "")
        yield SimHandle(simulator, ocpp_sim_broker, no_broker)
    finally:
        await simulator.stop()
