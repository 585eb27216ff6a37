"""OCPI 2.2.1, the eMSP role: pytest-ocpp tests a CSMS's CPO interface (versions, the
credentials handshake, transport rules, locations, and commands that cross into OCPP).

- :mod:`.config`: ``--ocpi-*`` settings and the ``[ocpi]`` table;
- :mod:`.transport`: the httpx client, the record of every exchange, response checks;
- :mod:`.models` / :mod:`.definitions`: objects checked against the specification's tables;
- :mod:`.emsp`: our endpoints the CPO calls (aiohttp);
- :mod:`.registration`: the run's credentials handshake;
- :mod:`.case`, :mod:`.catalog`, :mod:`.plugin`: cases, their ids, the pytest glue.
"""
