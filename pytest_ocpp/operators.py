"""Who performs the actions outside the protocol.

Some scenario steps need something no OCPP message can do: the CSMS operator presses
"remote start", a driver plugs in a cable. Two small protocols cover them:

* :class:`CsmsOperator` — make the CSMS under test send a given request to a given station;
* :class:`StationOperator` — perform a physical action on the station under test.

Adapters: ``prompt`` (a person at the terminal), a shell command (the action as one JSON object
on stdin), the embedded reference (in-process), and the user's own fixture. With none
configured, the step raises :class:`~pytest_ocpp.verdicts.NotApplicable`: a scenario that
cannot be driven is reported as such, never as passed.

Every adapter can give one of four answers, and each has its own verdict, because only one of
them is about the target:

========================  ==================  =====================================
the operator says          command exit code   verdict of the case
========================  ==================  =====================================
done                       0                   the scenario goes on
the target refused         78                  fail (:class:`OperatorRefused`)
not possible on this rig   77                  not applicable (:class:`NotApplicable`)
I could not do it          anything else       error (:class:`OperatorFailed`)
========================  ==================  =====================================

77 is the exit code test harnesses (automake, meson) already use for "skipped"; a crash, a
missing command (127) or a timeout is the rig's problem, never the target's.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

from pytest_ocpp.case import current
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.verdicts import NotApplicable, OperatorFailed, OperatorRefused, TargetTimeout

EXIT_NOT_APPLICABLE = 77
"""Operator command exit code: this step is not possible on this rig (verdict n/a)."""
EXIT_TARGET_REFUSED = 78
"""Operator command exit code: the target refused the action (verdict fail)."""

#: The station operator's vocabulary: action → its parameters. A public interface (README).
STATION_ACTIONS: dict[str, tuple[str, ...]] = {
    "plug_in": ("connector_id",),
    "plug_out": ("connector_id",),
    "ev_side_disconnect": ("connector_id",),
    "present_id_tag": ("id_tag", "connector_id"),
    "power_cycle": (),
    "power_off": (),
    "power_on": (),
    "set_fault": ("connector_id", "error_code"),
    "clear_fault": ("connector_id",),
    "ev_suspend": ("connector_id",),
    "ev_resume": ("connector_id",),
    "set_unlock_failure": ("connector_id", "failing"),
    "set_download_failure": ("failing",),
    "set_install_failure": ("failing",),
    "set_upload_failure": ("failing",),
    # SendLocalList answers Failed while set (OCTT TC_043_3_CS: "a state in which it will fail
    # to set a Local List").
    "set_local_list_failure": ("failing",),
    # Puts the station back at a lower security profile by hand (the rig, a technician): OCPP
    # cannot lower it (Security Whitepaper A05.FR.01), so TC_083_CS restores it this way.
    "set_security_profile": ("profile",),
}

#: The 2.0.1 station operator's vocabulary (Part 6's manual actions): action → parameters.
#: EVSEs and connectors are addressed as 2.0.1 does (``evse_id``, ``connector_id`` within it);
#: an id token carries its IdTokenEnumType. A public interface (README).
STATION_ACTIONS_201: dict[str, tuple[str, ...]] = {
    "plug_in": ("evse_id", "connector_id"),
    "plug_out": ("evse_id", "connector_id"),
    "ev_side_disconnect": ("evse_id", "connector_id"),
    "present_id_token": ("id_token", "type", "evse_id"),
    "park": ("evse_id",),
    "unpark": ("evse_id",),
    "ev_suspend": ("evse_id",),
    "ev_resume": ("evse_id",),
    "power_cycle": (),
    "power_off": (),
    "power_on": (),
    "set_fault": ("evse_id", "connector_id"),
    "clear_fault": ("evse_id", "connector_id"),
    "set_unlock_failure": ("evse_id", "failing"),
    # The cable is not fully plugged in: the connector's plug retention lock fails (G05).
    "set_lock_failure": ("evse_id", "failing"),
    # The connected ISO 15118 EV sends its charging needs (K15) or renegotiates (K17).
    "ev_charging_needs": ("evse_id",),
    # An external system limits the EVSE to limit A, or releases it (limit None) (K12/K13).
    "set_external_limit": ("evse_id", "limit"),
    # An EV that starts ISO 15118 (Plug & Charge with its contract certificate, or EIM).
    "start_iso15118": ("evse_id", "contract"),
    # The connected EV asks over ISO 15118 to install (request Install: CertificateInstallationReq)
    # or update (Update: CertificateUpdateReq) its contract certificate, then authorizes with
    # Plug & Charge with ``contract`` (its eMAID) if it got one (OCTT's EV emulator methods
    # SendISO15118AuthorizationMethod PnC + SendInstallISO15118CertificateMethod; M01/M02).
    "ev_certificate_request": ("evse_id", "request", "contract"),
    # The user of a Master Pass picks, in the station's UI, the transaction to stop (C16.FR.01):
    # the one on EVSE target_evse, or all of them with target_evse 0.
    "masterpass_select": ("target_evse",),
    # The tester stores data about a customer under a customerIdentifier at the station
    # (2.0.1 TC_N_62_CS memory state "manually store the <Configured CustomerIdentifiers>").
    "store_customer_identifier": ("customer_identifier",),
    # The EV ends its ISO 15118 session: SessionStopReq(Terminate) (E15, TC_E_46_CS).
    "iso15118_session_stop": ("evse_id",),
    # The installer puts the network connection back locally after a security profile upgrade
    # (2.0.1 TC_A_19_CS): no OCPP request may lower the profile again (B09.FR.04).
    "restore_network_profile": ("slot", "url", "security_profile", "priority"),
}

#: The CSMS operator's setup vocabulary (:meth:`CsmsOperator.setup`): setting → what it
#: means. A public interface (README); ``value`` None restores the CSMS's normal behaviour.
CSMS_SETTINGS: dict[str, str] = {
    "boot_status": (
        "the status the CSMS answers this station's next BootNotificationRequests with "
        "(Accepted, Pending or Rejected), as in 'The CSMS is configured to first respond to "
        "a BootNotificationRequest with status Pending' (2.0.1 TC_B_02/B_30/B_31_CSMS)"
    ),
    "energy_tariff": (
        "a tariff based on energy consumed applies to this station's transactions (value: the "
        "price per kWh, a number in the CSMS's currency), as in 'CSMS is configured with a "
        "tariff which is based on energy consumed' (2.0.1 TC_I_01/I_02_CSMS)"
    ),
    "contract_certificate_revoked": (
        "true: the contract certificate chain this station presents (``[station] "
        "contract_certificate_chain``) is revoked, so the CSMS's OCSP check of its next "
        "AuthorizeRequests says so; the rig makes the OCSP responder answer 'revoked', as OCTT's "
        "own OCSP service does for 'The contract certificate is revoked' (2.0.1 TC_C_51_CSMS)"
    ),
}

Performer = Callable[[dict[str, Any]], Awaitable[None]]
"""Performs one action described by a JSON-able dict; raises OperatorFailed/NotApplicable."""


@dataclass(frozen=True)
class ApiPerformer:
    """A :data:`Performer` that asks an HTTP API to make the CSMS act (the trigger APIs of
    :mod:`pytest_ocpp.interop.trigger`).

    A type of its own because its pending call means something a command's does not: a
    command may legitimately wait for the CSMS's own confirmation, but an API call that has
    not been answered by the operator timeout while nothing arrived on the wire is the API
    hanging, and the issue's contract (issue 23) makes a hanging API an operator error, never
    a verdict on the CSMS. ``api`` names it in that message ("the tzi-OCTT API at URL")."""

    perform: Performer
    api: str

    async def __call__(self, job: dict[str, Any]) -> None:
        await self.perform(job)


class _Station(Protocol):
    station_id: str

    @property
    def link(self) -> Any: ...


class CsmsOperator:
    """Makes the CSMS under test send requests, through a :data:`Performer`."""

    def __init__(self, perform: Performer, timeout: float, name: str) -> None:
        self._perform = perform
        self.timeout = timeout
        self.name = name

    async def request(
        self,
        station: _Station,
        action: str,
        payload: dict[str, Any],
        *,
        timeout: float | None = None,
    ) -> IncomingCall:
        """Have the CSMS send ``action`` with ``payload`` (what the scenario needs) to
        ``station`` and return the request as it arrived, unanswered.

        The request is claimed on the link *before* the operator acts, so it does not matter
        whether the command returns before or after the CSMS sends it."""
        link = station.link
        if link is None:
            raise RuntimeError("the station must be connected before the CSMS operator acts")
        claim = link.claim(action)
        job = {
            "kind": "request",
            "station_id": station.station_id,
            "action": action,
            "payload": payload,
            "ocpp_version": link.version.name,
        }
        link.trace.event(
            station.station_id,
            f"{self.name} operator: make the CSMS send {action} {json.dumps(payload)}",
        )
        wait = self.timeout if timeout is None else timeout
        performing = asyncio.ensure_future(self._perform(job))
        try:
            done, _ = await asyncio.wait(
                {performing, claim}, timeout=wait, return_when=asyncio.FIRST_COMPLETED
            )
            if not done and isinstance(self._perform, ApiPerformer):
                performing.cancel()
                await asyncio.wait({performing})
                raise OperatorFailed(
                    f"{self._perform.api} had not answered the request to make the CSMS send "
                    f"{action} after {wait:g} s (--ocpp-operator-timeout), and no {action} "
                    "arrived meanwhile: the API hangs, which says nothing about the CSMS"
                )
            if performing in done:
                performing.result()  # raises OperatorFailed / NotApplicable
                if claim not in done:
                    await asyncio.wait({claim}, timeout=wait)
            if not claim.done():
                raise TargetTimeout(
                    f"the CSMS did not send {action}.req within {wait:g} s after the {self.name} "
                    "operator was asked to make it (--ocpp-operator-timeout)"
                )
            return claim.result()
        finally:
            link.unclaim(claim)
            if not performing.done():
                # The command may legitimately outlive the request (e.g. it waits for the
                # CSMS's own confirmation): judge its exit status when the case ends.
                case = current()
                case.checks.append(lambda: self._finish(performing, action, wait))
                case.closers.append(lambda: _settle(performing, wait))

    async def setup(self, station: _Station, setting: str, value: Any, *, why: str = "") -> None:
        """Configure the CSMS under test for a scenario's prerequisite ("The CSMS is
        configured to first respond to a BootNotificationRequest with status Pending"), as
        the OCTT user does by hand before such a case.

        The job is ``{"kind": "setup", "action": "setup", "setting", "value", "station_id",
        "ocpp_version"}``; its settings are a public vocabulary (:data:`CSMS_SETTINGS`).
        A rig that cannot configure the setting makes the case not applicable (exit 77).
        ``value`` None asks the CSMS to go back to its normal behaviour."""
        if setting not in CSMS_SETTINGS:
            raise ValueError(f"{setting!r} is not a documented CSMS setup setting")
        link = station.link
        job = {
            "kind": "setup",
            "action": "setup",
            "setting": setting,
            "value": value,
            "station_id": station.station_id,
            "ocpp_version": link.version.name if link is not None else None,
        }
        note = f" ({why})" if why else ""
        current().trace.event(
            station.station_id,
            f"{self.name} operator: configure the CSMS: {setting} = {json.dumps(value)}{note}",
        )
        try:
            await asyncio.wait_for(self._perform(job), self.timeout)
        except asyncio.TimeoutError:  # not the builtin TimeoutError before Python 3.11
            # Caught here: left to escape, the case's own --ocpp-case-timeout guard would
            # take it for its own and report the whole case as timed out (a false message).
            who = (
                self._perform.api
                if isinstance(self._perform, ApiPerformer)
                else f"the {self.name} operator"
            )
            raise OperatorFailed(
                f"{who} did not configure {setting} = {json.dumps(value)} within "
                f"{self.timeout:g} s (--ocpp-operator-timeout)"
            ) from None

    async def _finish(self, performing: asyncio.Future[None], action: str, wait: float) -> None:
        try:
            await asyncio.wait_for(performing, wait)
        except asyncio.TimeoutError:
            raise OperatorFailed(
                f"the {self.name} operator for {action} was still running {wait:g} s after the "
                "request arrived"
            ) from None


class StationOperator:
    """Performs physical actions on the station under test."""

    def __init__(
        self, perform: Performer, station_id: str, name: str, ocpp_version: str = "1.6"
    ) -> None:
        self._perform = perform
        self.station_id = station_id
        self.name = name
        self.ocpp_version = ocpp_version

    @property
    def vocabulary(self) -> dict[str, tuple[str, ...]]:
        return STATION_ACTIONS_201 if self.ocpp_version == "2.0.1" else STATION_ACTIONS

    async def perform(self, action: str, **params: Any) -> None:
        if action not in self.vocabulary:
            raise ValueError(
                f"unknown OCPP {self.ocpp_version} station action {action!r}; known: "
                f"{sorted(self.vocabulary)}"
            )
        job = {
            "station_id": self.station_id,
            "action": action,
            **params,
            "ocpp_version": self.ocpp_version,
        }
        await self._perform(job)

    async def plug_in(self, connector_id: int = 1) -> None:
        await self.perform("plug_in", connector_id=connector_id)

    async def plug_out(self, connector_id: int = 1) -> None:
        await self.perform("plug_out", connector_id=connector_id)

    async def ev_side_disconnect(self, connector_id: int = 1) -> None:
        await self.perform("ev_side_disconnect", connector_id=connector_id)

    async def present_id_tag(self, id_tag: str, connector_id: int | None = None) -> None:
        await self.perform("present_id_tag", id_tag=id_tag, connector_id=connector_id)

    async def power_cycle(self) -> None:
        await self.perform("power_cycle")

    # -- 2.0.1 (STATION_ACTIONS_201) ---------------------------------------------------------
    async def plug_in_evse(self, evse_id: int, connector_id: int = 1) -> None:
        await self.perform("plug_in", evse_id=evse_id, connector_id=connector_id)

    async def plug_out_evse(self, evse_id: int, connector_id: int = 1) -> None:
        await self.perform("plug_out", evse_id=evse_id, connector_id=connector_id)

    async def present_id_token(
        self, id_token: str, type_: str = "ISO14443", evse_id: int | None = None
    ) -> None:
        await self.perform("present_id_token", id_token=id_token, type=type_, evse_id=evse_id)


# -- adapters --------------------------------------------------------------------------------
def command_performer(command: str, timeout: float) -> Performer:
    """Run ``command`` through the shell with the action as JSON on stdin; a non-zero exit
    fails the step with the command's stderr."""

    async def perform(job: dict[str, Any]) -> None:
        try:
            process = await asyncio.create_subprocess_shell(
                command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # its own process group, so a timeout stops it all
            )
        except OSError as exc:
            raise OperatorFailed(f"cannot start operator command {command!r}: {exc}") from None
        try:
            out, err = await asyncio.wait_for(
                process.communicate(json.dumps(job).encode()), timeout
            )
        except asyncio.TimeoutError:
            _kill_group(process.pid)
            await process.wait()
            raise OperatorFailed(
                f"operator command {command!r} did not finish {job['action']} within {timeout:g} s"
            ) from None
        except asyncio.CancelledError:
            # The case ended (e.g. failed) while the command still ran: stop it and reap it on
            # this loop, so nothing is left for a closed loop to complain about after the run.
            _kill_group(process.pid)
            await process.wait()
            raise
        if process.returncode == 0:
            return
        text = err.decode(errors="replace").strip() or out.decode(errors="replace").strip()
        said = text or "(no output)"
        if process.returncode == EXIT_NOT_APPLICABLE:
            raise NotApplicable(f"the operator cannot {job['action']} on this rig: {said}")
        if process.returncode == EXIT_TARGET_REFUSED:
            raise OperatorRefused(f"the target refused {job['action']} (operator): {said}")
        hint = " (command not found)" if process.returncode == 127 else ""
        raise OperatorFailed(
            f"operator command {command!r} exited with status {process.returncode}{hint} for "
            f"{job['action']}: {said}"
        )

    return perform


async def _settle(performing: asyncio.Future[None], wait: float) -> None:
    """When the case ends, whatever its verdict: give a still-running operator ``wait`` s to
    finish, then stop it. Its verdict, if the case got that far, was judged by ``_finish``."""
    if performing.done():
        if not performing.cancelled():
            performing.exception()  # retrieved: never "exception was never retrieved"
        return
    done, _ = await asyncio.wait({performing}, timeout=wait)
    if not done:
        performing.cancel()
        await asyncio.wait({performing})
    if not performing.cancelled():
        performing.exception()


def _kill_group(pid: int) -> None:
    """Stop the shell and everything it started (a rig script's children hold our pipes)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def prompt_performer(
    describe: Callable[[dict[str, Any]], str],
    *,
    confirm: bool,
    timeout: float,
    tty_path: str = "/dev/tty",
) -> Performer:
    """Ask a person at the controlling terminal.

    We talk to ``/dev/tty`` rather than stdin/stdout: pytest captures those (and points fd 0
    at /dev/null), and in CI there is no terminal at all, which we report as not applicable.
    For the CSMS operator the request arriving on the wire is the confirmation; for physical
    actions the person presses Enter (or types ``na``)."""

    async def perform(job: dict[str, Any]) -> None:
        try:
            reader, writer = await asyncio.to_thread(_open_tty, tty_path)
        except OSError:
            raise NotApplicable(
                f"the prompt operator needs a person at a terminal to {describe(job)}; "
                "this run has no terminal (use a command operator in CI)"
            ) from None
        with reader, writer:
            writer.write(f"\n[pytest-ocpp] please {describe(job)}\n")
            if not confirm and job.get("kind") != "setup":
                # Nothing to confirm: the caller now waits for the request on the wire.
                writer.write(f"[pytest-ocpp] waiting up to {timeout:g} s for it on the wire...\n")
                return
            writer.write(
                "[pytest-ocpp] press Enter when done; type 'na' if this rig cannot do it, "
                "'refused' if the target refused, 'error' if you could not do it: "
            )
            writer.flush()
            try:
                answer = await asyncio.wait_for(asyncio.to_thread(reader.readline), timeout)
            except asyncio.TimeoutError:
                raise OperatorFailed(
                    f"nobody confirmed within {timeout:g} s (--ocpp-operator-timeout)"
                ) from None
            word = answer.strip().lower()
            if word in ("na", "n/a", "no"):
                raise NotApplicable(f"the operator cannot {describe(job)} on this rig")
            if word in ("refused", "r"):
                raise OperatorRefused(f"the operator reports the target refused to {describe(job)}")
            if word in ("error", "e", "x"):
                raise OperatorFailed(f"the operator could not {describe(job)}")

    return perform


def _open_tty(path: str) -> tuple[TextIO, TextIO]:
    """A terminal is not seekable, so reading and writing get a handle each. O_NOCTTY: a run
    without a controlling terminal must not acquire one (and its hang-up signal) here."""
    flags = os.O_NOCTTY
    reader = os.fdopen(os.open(path, os.O_RDONLY | flags), "r", encoding="utf-8")
    try:
        writer = os.fdopen(os.open(path, os.O_WRONLY | flags), "w", encoding="utf-8", buffering=1)
    except OSError:
        reader.close()
        raise
    return reader, writer


def describe_csms_job(job: dict[str, Any]) -> str:
    if job.get("kind") == "setup":
        return (
            f"configure the CSMS for station {job['station_id']}: {job['setting']} = "
            f"{json.dumps(job['value'])} ({CSMS_SETTINGS.get(job['setting'], '')})"
        )
    return (
        f"make the CSMS send {job['action']} to station {job['station_id']} with "
        f"{json.dumps(job['payload'])}"
    )


def describe_station_job(job: dict[str, Any]) -> str:
    params = ", ".join(
        f"{k}={v}" for k, v in job.items() if k not in ("action", "station_id", "ocpp_version")
    )
    return f"perform '{job['action']}' on station {job['station_id']}" + (
        f" ({params})" if params else ""
    )


def unavailable_performer(reason: str) -> Performer:
    async def perform(job: dict[str, Any]) -> None:
        raise NotApplicable(f"{reason} (step needs: {job['action']})")

    return perform


def choose(
    setting: str | None,
    role: str,
    *,
    timeout: float,
    embedded: Performer | None,
) -> tuple[Performer, str]:
    """The performer a run's ``--ocpp-<role>-operator`` setting asks for: ``prompt``, a shell
    command, else the embedded reference's in-process operator, else none (not applicable)."""
    describe = describe_csms_job if role == "csms" else describe_station_job
    if setting == "prompt":
        # A CSMS request arriving on the wire is its own confirmation; a physical action
        # needs the person to say it is done.
        confirm = role != "csms"
        return prompt_performer(describe, confirm=confirm, timeout=timeout), "prompt"
    if setting and setting.startswith(("mqtt://", "mqtts://")) and role == "station":
        # Each action published on <prefix>/<station>/cmd/<action>, acknowledged on
        # <prefix>/<station>/ack (pytest_ocpp.sim.operator; imported only when asked for).
        from pytest_ocpp.sim.operator import mqtt_performer

        return mqtt_performer(setting, timeout), "MQTT"
    if setting and role == "csms" and setting.lower().startswith(("tzi-octt:", "open-ocpp-tck:")):
        # The trigger APIs CSMS teams already serve (pytest_ocpp.interop.trigger, issue 23).
        from pytest_ocpp.interop.trigger import trigger_performer

        return trigger_performer(setting, timeout)
    if setting:
        return command_performer(setting, timeout), "command"
    if embedded is not None:
        return embedded, "reference"
    reason = f"no {role} operator configured: set --ocpp-{role}-operator=prompt or a command"
    return unavailable_performer(reason), "none"
