"""The bundled reference targets, started by the run itself (``--ocpp-reference``).

They live in a :class:`~pytest_ocpp.reference.runner.BackgroundLoop` thread: a separate system
with its own event loop, like a real target, yet with no second terminal for the user.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

from pytest_ocpp.config import IdTags, OcppConfig
from pytest_ocpp.operators import Performer
from pytest_ocpp.reference.csms import IdTagSpec, ReferenceCsms
from pytest_ocpp.reference.runner import BackgroundLoop
from pytest_ocpp.verdicts import NotApplicable, OperatorFailed

REFERENCE_VERSIONS = ("1.6", "2.0.1")

REFERENCE_UPGRADE_STATION_ID = "CP_UPGRADE"
"""The spare station id the embedded reference CSMS knows for TC_083_CSMS (``[station]
upgrade_station_id`` against another CSMS): the case upgrades it to security profile 3 for
good, and the reference lives for one run, so nothing has to be set back."""


def reference_id_tags(tags: IdTags) -> dict[str, IdTagSpec]:
    """The id tags of the run's config, as the reference CSMS should know them."""
    past = (datetime.now(timezone.utc) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        tags.valid: IdTagSpec(status="Accepted"),
        tags.valid_2: IdTagSpec(status="Accepted"),
        tags.parent: IdTagSpec(status="Accepted"),
        tags.valid_with_parent: IdTagSpec(status="Accepted", parent_id_tag=tags.parent),
        tags.valid_2_with_parent: IdTagSpec(status="Accepted", parent_id_tag=tags.parent),
        tags.masterpass: IdTagSpec(status="Accepted", parent_id_tag=tags.masterpass_group),
        tags.emaid: IdTagSpec(status="Accepted"),
        tags.blocked: IdTagSpec(status="Blocked"),
        tags.expired: IdTagSpec(status="Expired", expiry_date=past),
    }


def reference_csms_security(config: OcppConfig) -> dict[str, Any]:
    """The reference CSMS's settings for the run's security profile (1.6 Security Whitepaper
    §2): Basic credentials for the station id and the spare id of TC_083_CSMS
    (:func:`reference_upgrade_station_id`; profiles 1 and 2), the server certificate(s)
    (profiles 2 and 3; generated for the run unless given), client certificates verified
    against the run's CA (profile 3)."""
    profile = config.security_profile
    tls = config.tls
    options: dict[str, Any] = {}
    if profile in (1, 2) and config.basic_auth_password:
        stations = [s.strip() for s in config.station_id.split(",") if s.strip()]
        spare = reference_upgrade_station_id(config)
        if spare:
            stations.append(spare)
        options["basic_auth"] = dict.fromkeys(stations, config.basic_auth_password)
    if profile in (2, 3) and tls.server_cert_file:
        options["tls_certificates"] = [
            (tls.server_cert_file, tls.server_key_file),
            *tls.extra_server_certificates,
        ]
    if profile == 3:
        options["tls_client_ca_file"] = tls.ca_out or tls.ca_file
    elif profile == 2 and tls.server_cert_file:
        # Profile 3 too, for a station that shows a client certificate: 2.0.1 TC_A_19_CSMS
        # upgrades the station from 2 to 3 (A05).
        options["tls_client_ca_file"] = tls.ca_out or tls.ca_file
        options["tls_client_certificate_optional"] = True
    return options


def reference_upgrade_station_id(config: OcppConfig) -> str | None:
    """The station id TC_083_CSMS may upgrade to profile 3 for good: ``[station]
    upgrade_station_id`` when configured, else :data:`REFERENCE_UPGRADE_STATION_ID` when the
    CSMS under test is the embedded reference (it knows that id: this module configures it),
    else None (another CSMS's spare id is its operator's to name)."""
    configured = config.station.extra.get("upgrade_station_id")
    if configured:
        return str(configured)
    if config.reference and not config.target:
        return REFERENCE_UPGRADE_STATION_ID
    return None


def reference_station_security(config: OcppConfig) -> dict[str, Any]:
    """The reference station's TLS files for the run's profile: it trusts the CA of the fake
    CSMS's certificate and, with profile 3, shows the run's client certificate."""
    profile = config.security_profile
    tls = config.tls
    options: dict[str, Any] = {}
    if profile in (2, 3):
        options["tls_ca_file"] = tls.ca_out or tls.ca_file
    if profile == 3:
        cert, key = tls.client_certificate_out or (tls.cert_file, tls.key_file)
        options["tls_cert_file"], options["tls_key_file"] = cert, key
    return options


class EmbeddedCsms:
    """The reference CSMS on a background loop, plus an operator that drives it in-process."""

    def __init__(self, config: OcppConfig, defects: tuple[str, ...] = ()) -> None:
        self.loop = BackgroundLoop("pytest-ocpp-reference-csms")
        self.csms = ReferenceCsms(
            versions=REFERENCE_VERSIONS,
            id_tags=reference_id_tags(config.tags),
            defects=defects,
            **reference_csms_security(config),
        )

    def start(self) -> None:
        self.loop.start()
        self.loop.run(self.csms.start())

    def stop(self) -> None:
        try:
            self.loop.run(self.csms.stop())
        finally:
            self.loop.stop()

    @property
    def url(self) -> str:
        return self.csms.url

    def performer(self) -> Performer:
        async def perform(job: dict[str, Any]) -> None:
            future = self.loop.submit(self.csms.handle_command(job))
            try:
                await asyncio.wrap_future(future)
            except (LookupError, ValueError, TypeError) as exc:
                raise OperatorFailed(
                    f"the reference CSMS could not send {job['action']}: {exc}"
                ) from None

        return perform


class EmbeddedStation:
    """The reference charging station on a background loop, pointed at our fake CSMS, plus a
    station operator that performs physical actions on it in-process."""

    def __init__(self, config: OcppConfig, csms_url: str, defects: tuple[str, ...] = ()) -> None:
        from pytest_ocpp.reference.station import ReferenceStation

        self.loop = BackgroundLoop("pytest-ocpp-reference-station")
        spec = config.station
        self.station = ReferenceStation(
            csms_url=csms_url,
            station_id=config.station_id,
            connectors=spec.connectors,
            basic_auth_password=config.basic_auth_password,
            fixed_cable=spec.fixed_cable,
            features=spec.features,
            defects=defects,
            **reference_station_security(config),
        )

    async def start(self) -> None:
        """Start it from the event loop that hosts the fake CSMS, so that loop keeps
        serving the station's handshake while we wait."""
        self.loop.start()
        await asyncio.wrap_future(self.loop.submit(self.station.start()))

    async def stop(self) -> None:
        """Stop it while the fake CSMS's loop runs: the station's close handshake needs
        our side to answer, or it waits out the websocket close timeout."""
        try:
            await asyncio.wrap_future(self.loop.submit(self.station.stop()))
        finally:
            self.loop.stop()

    def performer(self) -> Performer:
        async def perform(job: dict[str, Any]) -> None:
            params = {
                k: v for k, v in job.items() if k not in ("station_id", "action", "ocpp_version")
            }
            future = self.loop.submit(self.station.perform(job["action"], **params))
            try:
                await asyncio.wrap_future(future)
            except ValueError as exc:
                raise OperatorFailed(
                    f"the reference station could not {job['action']}: {exc}"
                ) from None

        return perform


class EmbeddedStation201:
    """The reference 2.0.1 charging station on a background loop, pointed at the 2.0.1 fake
    CSMS, plus a station operator performing physical actions on it in-process."""

    def __init__(self, config: OcppConfig, csms_url: str, defects: tuple[str, ...] = ()) -> None:
        from pytest_ocpp.reference.station201 import ReferenceStation201

        self.loop = BackgroundLoop("pytest-ocpp-reference-station201")
        self.station = ReferenceStation201(
            csms_url,
            config.station_id,
            evses=config.station.connectors,
            basic_auth_password=config.basic_auth_password,
            defects=defects,
            **reference_station_security(config),
            # Its MessageTimeout: the fake CSMS in the same process answers at once, and the
            # retry cases (E13) wait for it several times over.
            response_timeout=5.0,
        )

    async def start(self) -> None:
        """Start it from the loop that hosts the fake CSMS, which keeps serving meanwhile."""
        self.loop.start()
        await asyncio.wrap_future(self.loop.submit(self.station.start()))

    async def stop(self) -> None:
        try:
            await asyncio.wrap_future(self.loop.submit(self.station.stop()))
        finally:
            self.loop.stop()

    def performer(self) -> Performer:
        async def perform(job: dict[str, Any]) -> None:
            params = {
                k: v for k, v in job.items() if k not in ("station_id", "action", "ocpp_version")
            }
            future = self.loop.submit(self.station.perform(job["action"], **params))
            try:
                await asyncio.wrap_future(future)
            except NotImplementedError as exc:
                raise NotApplicable(
                    f"the reference station cannot {job['action']}: {exc}"
                ) from None
            except ValueError as exc:
                raise OperatorFailed(
                    f"the reference station could not {job['action']}: {exc}"
                ) from None

        return perform
