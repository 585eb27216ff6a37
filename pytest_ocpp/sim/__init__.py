"""The MQTT-driven station and EV simulator, the MQTT station operator, and the one-off
``send`` / interactive ``shell`` commands (issue 19).

* :mod:`.station` — one simulated station: a reference station with a wire tap and state;
* :mod:`.simulator` — many of them in one loop, driven and watched over MQTT (:mod:`.topics`);
* :mod:`.broker` — the user's broker (``mqtt[s]://user:password@...``, TLS files), or Mosquitto
  on loopback (optionally with logins and a TLS listener); :mod:`.mqtt` — the one MQTT client;
* :mod:`.cli` — ``pytest-ocpp-sim``; :mod:`.fixture` — the ``ocpp_sim`` pytest fixture;
* :mod:`.operator` — ``--ocpp-station-operator=mqtt://host:port/prefix``;
* :mod:`.send` — ``pytest-ocpp send`` and ``pytest-ocpp shell`` (:mod:`.answers`: the shell's
  answers to the CSMS's requests, by default or by the user).

Nothing here is imported by a conformance run unless one of these is asked for: aiomqtt and
the references load lazily.
"""
