"""What the OCPP 2.0.1 security cases of block A (Part 6 Tables 1-17, Charging Station under
test) need from the fake CSMS beyond the transport of :mod:`pytest_ocpp.csms.base`: the second
websocket server of the second connectionData slot, the certificates a station must refuse,
the network-profile steps of A05 and putting the station's network configuration back.

OCTT's configured values are ``[station]`` keys (config file), documented per case:
``configuration_slot`` / ``configuration_slot2`` (default 1 and 2, shared with the B09/B10
cases), ``message_timeout2`` (default 30), ``ocpp_interface2`` (default Wired0),
``security_profile2`` (the second slot's profile; default per case),
``invalid_server_certificates`` (OCTT's "CSMS Keystore Invalid": a list of [certificate, key]
PEM file pairs served in turn by TC_A_05_CS, after the generated one of an unknown CA),
``new_csms_root_certificate`` with ``new_csms_root_private_key`` (OCTT's "<Configured new CSMS
Root certificate 2>", signed by ``csms_root_certificate``; the fake CSMS signs its server
certificate with that key in TC_B_47/50_CS and TC_M_30/31_CS; default: generated).

The second listener's server certificate is issued for the fake CSMS's host by the CSMS root
that Memory State CertificateInstalled installs (``[station] csms_root_certificate`` with
``csms_root_private_key``, else the generated test root), so a station that trusts the
installed root trusts it (A00.FR.308). With security profile 3 the fake CSMS also trusts client
certificates that chain to that root: RenewChargingStationCertificate makes one (A02.FR.08),
issued by the root's charging station operator sub-CA (:meth:`station_certificate_authority`).

Mixed into :class:`~pytest_ocpp.csms.v201.FakeCsms201`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_ocpp import security
from pytest_ocpp.case import step, warn
from pytest_ocpp.verdicts import ConnectFailed, TargetFailure, check, not_applicable

if TYPE_CHECKING:
    from pytest_ocpp.csms.base import StationConnection

CONNECTION_DATA_DEFAULTS = {"message_timeout2": 30, "ocpp_interface2": "Wired0"}


class SecurityStates201:
    """Mixin of :class:`~pytest_ocpp.csms.v201.FakeCsms201` (see the module docstring)."""

    config: Any
    host: str
    hellos: int
    hello_arrived: asyncio.Event
    generation: int
    serve_instead: ssl.SSLContext | None
    client_cas: list[str]
    station_certificate_signed: bool = False
    """A CertificateSigned ChargingStationCertificate was Accepted in this run (set by
    ``observe_call``): the station has a Charging Station certificate from then on."""

    # -- TLS contexts -------------------------------------------------------------------------
    def _tls_context(self) -> ssl.SSLContext:
        """The configured server context; with security profile 3 it also trusts client
        certificates the configured CSMS root signed (a renewed Charging Station certificate,
        A02.FR.08), through the fake CSMS's :attr:`client_cas`."""
        if self.config.security_profile == 3:
            with contextlib.suppress(Exception):
                pem = self._csms_root_pem()
                if pem not in self.client_cas:
                    self.client_cas.append(pem)
        return super()._tls_context()  # type: ignore[misc,no-any-return]

    def _csms_root_pem(self) -> str:
        return self.configured_certificate("CSMSRootCertificate")  # type: ignore[attr-defined,no-any-return]

    def station_certificate_authority(self) -> Any:
        """The CA that signs Charging Station certificates: the charging station operator
        sub-CA under the configured (or generated) CSMS root
        (:func:`pytest_ocpp.pki.station_operator_ca`; Part 2 §1.4.2, A00.FR.602), so a
        CertificateSignedRequest carries the certificate and that sub-CA and the station
        verifies a path to its CSMS root (A02.FR.06). The root stays what is installed, what
        serves TLS and what client certificates are verified against."""
        from pytest_ocpp.pki import station_operator_ca

        return station_operator_ca(self.csms_root_authority())  # type: ignore[attr-defined]

    def _write_pair(self, certificate: Any, key: Any) -> tuple[str, str]:
        from pytest_ocpp import pki

        folder = Path(tempfile.mkdtemp(prefix="pytest-ocpp-tls-"))
        cert_path, key_path = folder / "cert.pem", folder / "key.pem"
        cert_path.write_text(pki.pem(certificate), "ascii")
        key_path.touch(0o600)
        key_path.write_text(pki.key_pem(key), "ascii")
        return str(cert_path), str(key_path)

    def listener_context(self, profile: int, issuer: Any = None) -> ssl.SSLContext | None:
        """The second listener's TLS context for ``profile`` (None for profile 1): a server
        certificate for our host signed by ``issuer``; by default the main listener's own
        certificate when the run serves TLS (the station already trusts its root, as it trusts
        OCTT's one server certificate), else one signed by the configured CSMS root (a profile
        1 run installs that root first, CertificateInstalled); with profile 3 client
        certificates are asked for and verified against the configured CSMS root and the
        run's CA."""
        if profile < 2:
            return None
        from pytest_ocpp import pki

        authority = self.csms_root_authority()  # type: ignore[attr-defined]
        tls = self.config.tls
        if issuer is None and tls.server_cert_file is not None:
            pairs = [(tls.server_cert_file, tls.server_key_file), *tls.extra_server_certificates]
            context = security.server_context(pairs)
        else:
            hosts = security.server_hosts(self.host, self.config.public_host)
            leaf, key = pki.tls_leaf(issuer or authority, hosts[0], server=True, hosts=hosts)
            context = security.server_context([self._write_pair(leaf, key)])
        if profile == 3:
            context.verify_mode = ssl.CERT_OPTIONAL
            context.load_verify_locations(cadata=authority.pem)
            tls = self.config.tls
            if tls.ca_file or tls.ca_out:
                context.load_verify_locations(tls.ca_file or tls.ca_out)
        return context

    def _client_auth(self, context: ssl.SSLContext) -> ssl.SSLContext:
        """With security profile 3 a replacement server context asks for the client
        certificate too, verified as the configured one does (else the fake CSMS would refuse
        the station for the missing certificate instead of the station refusing us)."""
        if self.config.security_profile == 3:
            tls = self.config.tls
            context.verify_mode = ssl.CERT_OPTIONAL
            if tls.ca_file or tls.ca_out:
                context.load_verify_locations(tls.ca_file or tls.ca_out)
            with contextlib.suppress(Exception):
                context.load_verify_locations(cadata=self._csms_root_pem())
        return context

    # -- a new CSMS root (M05.FR.09-16; TC_B_47/50_CS, TC_M_30/31_CS) -------------------------
    def new_csms_root(self) -> tuple[Any, str]:
        """<Configured new CSMS Root certificate 2>, signed by the configured (old) CSMS root as
        M05.FR.10 demands: (its authority, to sign server certificates; its PEM, to install).
        ``[station] new_csms_root_certificate`` with ``new_csms_root_private_key`` (PEM text
        or file), else the generated "CSMS Root CA 2" cross-signed by the old root; one per
        run."""
        cached = getattr(self, "_new_csms_root", None)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        from pytest_ocpp.certificates import configured_pem
        from pytest_ocpp.pki import (
            Authority,
            cross_signed,
            generated_pki,
            load_certificates,
            load_key,
        )

        extra = self.config.station.extra
        if "new_csms_root_certificate" in extra:
            if not extra.get("new_csms_root_private_key"):
                raise not_applicable(
                    "[station] new_csms_root_certificate is configured without "
                    "new_csms_root_private_key: the fake CSMS cannot serve a certificate "
                    "under the new CSMS root"
                )
            pem = configured_pem(self.config, "new_csms_root_certificate", "")
            key = load_key(configured_pem(self.config, "new_csms_root_private_key", ""))
            security.protect_secrets(configured_pem(self.config, "new_csms_root_private_key", ""))
        else:
            generated = generated_pki().csms_root_2
            pem, key = cross_signed(generated, self.csms_root_authority()), generated.key  # type: ignore[attr-defined]
        found = (Authority(load_certificates(pem)[0], key), pem)
        self._new_csms_root = found
        return found

    def served_under(self, issuer: Any) -> ssl.SSLContext:
        """A server context whose certificate, for our host, ``issuer`` signed (the leaf only,
        no chain: the station must verify it with the root it holds), to put in
        :attr:`serve_instead`; it asks for the client certificate as the configured one does."""
        from pytest_ocpp import pki

        hosts = security.server_hosts(self.host, self.config.public_host)
        pair = self._write_pair(*pki.tls_leaf(issuer, hosts[0], server=True, hosts=hosts))
        return self._client_auth(security.server_context([pair]))

    async def restore_csms_root(self, sut: StationConnection, old: str, new: str) -> None:
        """Post-condition of a root swap: the new CSMS root is deleted (hash data as the
        station lists it, M04.FR.07) and the old one installed again unless still listed (a
        fallback, M05.FR.12), so the station trusts what it trusted before. A station that
        refuses is named in a warning: restore its CSMS root by hand."""
        from pytest_ocpp.csms.states201_certificates import matches

        step("Post-condition: the new CSMS root removed, the configured (old) one installed")
        kind = {"certificateType": ["CSMSRootCertificate"]}
        listed = await sut.link.call("GetInstalledCertificateIds", kind, allow_error=True)
        entries = [
            e.get("certificateHashData") or {} for e in listed.get("certificateHashDataChain") or []
        ]
        for data in entries:
            if matches(data, new, old) or matches(data, new):  # issuer gone (M05.FR.13)
                await sut.link.call(
                    "DeleteCertificate", {"certificateHashData": data}, allow_error=True
                )
        if any(matches(data, old) for data in entries):
            return
        answer = await sut.link.call(
            "InstallCertificate",
            {"certificateType": "CSMSRootCertificate", "certificate": old},
            allow_error=True,
        )
        if answer.get("status") != "Accepted":
            warn(
                "the configured (old) CSMS root could not be installed again after the case "
                f"({answer}); restore the station's CSMS root by hand"
            )

    async def undo_root_swap(self, old: str, new: str) -> StationConnection | None:
        """The post-condition of the root-swap cases: the main listener serves its own
        certificate again and, once the station is connected, the old CSMS root is back
        (:meth:`restore_csms_root`). A station that is not connected (its case failed) is
        offered a certificate under the new root, which is all a station stuck on it accepts,
        then the configured one; each wait is --ocpp-reboot-timeout. Returns the connection
        (None, with a warning, when the station did not come back)."""
        self.serve_instead = None
        wait = self.config.timeouts.reboot
        connection = getattr(self, "connection", None)
        sut: StationConnection | None = connection
        if sut is None or sut.closed:
            sut = None
            self.serve_instead = self.served_under(self.new_csms_root()[0])
            try:
                sut = await self._station_within(wait)
            finally:
                self.serve_instead = None
            sut = sut or await self._station_within(wait)
        if sut is None:
            warn(
                "the Charging Station did not reconnect after the case: its CSMS root "
                "certificates could not be put back; restore them by hand"
            )
            return None
        await self.restore_csms_root(sut, old, new)
        return sut

    async def _station_within(self, timeout: float) -> StationConnection | None:
        with contextlib.suppress(ConnectFailed, TargetFailure):
            return await self.station(timeout)  # type: ignore[attr-defined,no-any-return]
        return None

    def invalid_server_contexts(self) -> list[tuple[str, ssl.SSLContext]]:
        """TC_A_05_CS's invalid server certificates: one for our host from a CA the station
        does not know (generated), then each ``[station] invalid_server_certificates`` pair."""
        from pytest_ocpp import pki

        hosts = security.server_hosts(self.host, self.config.public_host)
        unknown = pki.authority("pytest-ocpp Untrusted Test Root (no station trusts it)")
        pair = self._write_pair(*pki.tls_leaf(unknown, hosts[0], server=True, hosts=hosts))
        found = [("not signed by an installed CSMS root", security.server_context([pair]))]
        for cert, key in self.config.station.extra.get("invalid_server_certificates") or []:
            found.append((f"configured {Path(cert).name}", security.server_context([(cert, key)])))
        return [(what, self._client_auth(context)) for what, context in found]

    def old_tls_context(self) -> ssl.SSLContext:
        """A server context offering only TLS 1.1 (TC_A_06_CS), counting the Client Hellos
        in :attr:`hellos`. Not applicable where this machine's OpenSSL cannot serve it."""
        tls = self.config.tls
        pairs = [(tls.server_cert_file, tls.server_key_file), *tls.extra_server_certificates]
        try:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
            with warnings_ignored():
                context.minimum_version = ssl.TLSVersion.TLSv1_1
                context.maximum_version = ssl.TLSVersion.TLSv1_1
            for cert, key in pairs:
                context.load_cert_chain(cert, key)  # type: ignore[arg-type]
        except (ValueError, ssl.SSLError, OSError) as exc:
            raise not_applicable(
                f"this machine's OpenSSL ({ssl.OPENSSL_VERSION}) cannot serve TLS 1.1: {exc}"
            ) from None

        def seen(
            conn: Any, direction: str, version: Any, kind: Any, message: Any, data: Any
        ) -> None:
            if direction == "read" and getattr(message, "name", "") == "CLIENT_HELLO":
                self.hello_seen()  # type: ignore[attr-defined]

        # No public hook sees a handshake that fails on the version (the SNI callback comes
        # later); CPython's message callback does.
        if not hasattr(context, "_msg_callback"):
            raise not_applicable(
                "this Python's ssl module cannot report a Client Hello that fails on the TLS "
                "version (no SSLContext._msg_callback)"
            )
        context._msg_callback = seen  # type: ignore[attr-defined]
        return self._client_auth(context)

    async def wait_hello(self, since: int, timeout: float, what: str) -> None:
        """Wait until a Client Hello newer than count ``since`` arrived: the station's
        connection attempt, whatever becomes of its handshake."""
        deadline = time.monotonic() + timeout
        while self.hellos <= since:
            self.hello_arrived.clear()
            try:
                await asyncio.wait_for(
                    self.hello_arrived.wait(),
                    max(0.0, deadline - time.monotonic()),
                )
            except asyncio.TimeoutError:
                raise ConnectFailed(
                    f"the Charging Station made no connection attempt ({what}) within "
                    f"{timeout:g} s (--ocpp-reboot-timeout)"
                ) from None

    # -- A05 / B09 steps --------------------------------------------------------------------
    def configured_slots(self) -> tuple[int, int]:
        """<Configured configurationSlot> and <Configured configurationSlot2>."""
        extra = self.config.station.extra
        return int(extra.get("configuration_slot", 1)), int(extra.get("configuration_slot2", 2))

    async def station_security_profile(self, sut: StationConnection) -> int:
        """SecurityCtrlr.SecurityProfile as the station reports it (else the run's)."""
        text = await self.get_variable(sut, "SecurityCtrlr.SecurityProfile")  # type: ignore[attr-defined]
        if text is not None and text.isdigit():
            return int(text)
        return int(self.config.security_profile or 1)

    async def slots_in_use(self, sut: StationConnection) -> tuple[int, int]:
        """(the active slot, the other configured slot): errata 6.2.17/6.2.18, the slot in
        use is read from OCPPCommCtrlr.ActiveNetworkProfile."""
        first, second = self.configured_slots()
        text = await self.get_variable(sut, "OCPPCommCtrlr.ActiveNetworkProfile")  # type: ignore[attr-defined]
        active = int(text) if text and text.isdigit() else first
        return active, (second if active == first else first)

    async def set_network_profile(
        self, sut: StationConnection, slot: int, url: str, profile: int, label: str
    ) -> str:
        """Step 1: SetNetworkProfileRequest for ``slot`` with the table's connectionData
        (messageTimeout, ocppCsmsUrl, ocppInterface, ocppVersion OCPP20, securityProfile, and
        ocppTransport JSON, which the schema requires); returns the status."""
        extra = self.config.station.extra
        step(
            f"1. The OCTT sends a SetNetworkProfileRequest configurationSlot {slot}, "
            f"securityProfile {profile}"
        )
        answer = await sut.call(
            "SetNetworkProfile",
            {
                "configurationSlot": slot,
                "connectionData": {
                    "messageTimeout": int(
                        extra.get("message_timeout2", CONNECTION_DATA_DEFAULTS["message_timeout2"])
                    ),
                    "ocppCsmsUrl": url,
                    "ocppInterface": str(
                        extra.get("ocpp_interface2", CONNECTION_DATA_DEFAULTS["ocpp_interface2"])
                    ),
                    "ocppTransport": "JSON",
                    "ocppVersion": "OCPP20",
                    "securityProfile": profile,
                },
            },
        )
        return str(answer.get("status"))

    async def set_priority(self, sut: StationConnection, value: str) -> str:
        """Step 3: SetVariablesRequest OCPPCommCtrlr.NetworkConfigurationPriority; returns
        setVariableResult[0].attributeStatus."""
        step(f"3. The OCTT sends SetVariablesRequest NetworkConfigurationPriority = {value}")
        answer = await sut.call(
            "SetVariables",
            {
                "setVariableData": [
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "NetworkConfigurationPriority"},
                        "attributeValue": value,
                    }
                ]
            },
        )
        return str((answer.get("setVariableResult") or [{}])[0].get("attributeStatus"))

    @contextlib.asynccontextmanager
    async def second_listener(self, profile: int) -> Any:
        """The second connectionData slot's websocket server for security ``profile``, for
        the case's duration; yields its URL."""
        url = await self.open_listener(profile, self.listener_context(profile))  # type: ignore[attr-defined]
        try:
            yield url
        finally:
            await self.close_listener(url)  # type: ignore[attr-defined]

    async def restore_network(
        self,
        operator: Any,
        slot: int,
        profile: int,
        priority: str,
    ) -> StationConnection:
        """After an upgrade no OCPP request can lower the profile again (B09.FR.04): the
        station operator puts the station's original network connection back (operator
        action ``restore_network_profile``: slot, URL, security profile, priority), then the
        station reconnects here (within --ocpp-reboot-timeout)."""
        generation = self.generation
        try:
            await operator.perform(
                "restore_network_profile",
                slot=slot,
                url=self.url,  # type: ignore[attr-defined]
                security_profile=profile,
                priority=priority,
            )
        except Exception as exc:
            raise TargetFailure(
                f"the station's network connection could not be put back (slot {slot}, "
                f"{self.url}, security profile {profile}): {exc}; restore it by hand"  # type: ignore[attr-defined]
            ) from None
        sut: StationConnection = await self.next_connection(after=generation, reboot=True)  # type: ignore[attr-defined]
        return sut


@contextlib.contextmanager
def warnings_ignored() -> Iterator[None]:
    """TLS 1.1 is deprecated in Python's ssl module (a DeprecationWarning): serving it is
    the point of TC_A_06_CS."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def judge_tls(sut: StationConnection, step_name: str) -> security.TlsInfo:
    """OCTT's TLS validations of a 2.0.1 station: TLS 1.2 or above (A00.FR.313/416) and the
    ECDHE_ECDSA or RSA pair of AES-GCM suites in its Client Hello (A00.FR.319/422)."""
    info = sut.tls
    check(info is not None, f"{step_name}: a TLS connection", "a plain ws:// connection")
    assert info is not None
    check(info.version_ok, f"{step_name}: TLS 1.2 or above (A00.FR.313, A00.FR.416)", info.version)
    problem = security.station_suites_problem(info)
    if problem:
        raise TargetFailure(f"{step_name}: {problem.replace('A00.FR.318', 'A00.FR.319/422')}")
    return info


__all__ = ["SecurityStates201", "judge_tls"]
