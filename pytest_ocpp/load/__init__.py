"""Load testing on Locust: thousands of simulated charging stations whose every reply is judged.

Locust is gevent-based and monkey-patches the standard library when imported, so this package
is split by what a module may import (DESIGN.md "More traps"):

- pure, importable anywhere (pytest included): :mod:`.settings` (the ``[load]`` table),
  :mod:`.judge` (the core's rules applied to one reply), :mod:`.messages` (payloads),
  :mod:`.results` (reading Locust's CSV and our figures), :mod:`.gate` (the pytest gate, which
  runs Locust in a subprocess);
- gevent only, imported by Locust's process: :mod:`.station` (one station over
  ``websocket-client``) and :mod:`.locustfile`;
- :mod:`.cli`: the ``pytest-ocpp-load`` command, which hands over to Locust.
"""
