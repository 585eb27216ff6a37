"""Lets a source checkout run pytest-ocpp before it is installed.

Installed, the plugin arrives through its ``pytest11`` entry point. From a bare checkout
(dependencies installed, the package not), this root conftest loads it instead, so
``pytest --ocpp-reference`` works from the repository either way. Never both: pytest refuses
a plugin registered twice.
"""

from importlib.metadata import entry_points

if not any(ep.name == "ocpp" for ep in entry_points(group="pytest11")):
    pytest_plugins = ["pytest_ocpp.plugin"]
