"""``pytest-ocpp send`` and ``pytest-ocpp shell``: single OCPP messages to a CSMS by hand.

    pytest-ocpp send ws://csms:9000/ocpp/CP_1 BootNotification \\
        '{"chargePointVendor": "X", "chargePointModel": "Y"}'
    pytest-ocpp shell ws://csms:9000/ocpp/CP_1

Both connect as the station named by the URL's last path segment over the core's judged link
(:func:`pytest_ocpp.transport.connect`, :class:`pytest_ocpp.link.Link`): every frame the CSMS sends
is parsed strictly and schema-checked, ``date-time`` formats and error codes included, so what
websocat would show as text is judged here as the suite judges it. ``send`` exits non-zero on
any finding, which makes it a one-line check in a script.

Exit status of ``send``: 0 the CSMS answered and nothing was wrong (a CallError is an answer,
printed and not a finding unless its code is not one the version defines); 1 a finding, or
no answer within ``--timeout``; 2 bad input (unknown action, invalid JSON, a payload that
breaks the schema); 3 no connection.

The CSMS's own requests (a GetConfiguration after the boot, a TriggerMessage...) are shown
and answered with the smallest valid response of the official schema; in the shell, with
``--answer=ask`` (or ``answer ask``), by the user (:mod:`pytest_ocpp.sim.answers`).
"""

from __future__ import annotations

import argparse
import asyncio
import cmd
import contextlib
import json
import math
import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from pytest_ocpp import link as links
from pytest_ocpp import transport
from pytest_ocpp.config import Timeouts, TlsSettings
from pytest_ocpp.schemas import schema_set
from pytest_ocpp.sim.answers import MODES, Answerer
from pytest_ocpp.trace import Trace
from pytest_ocpp.verdicts import ConnectFailed, ConnectionLost, ProtocolViolation, TargetTimeout
from pytest_ocpp.versions import OcppVersion, get_version

__all__ = ["main"]

EXIT_OK, EXIT_FINDING, EXIT_USAGE, EXIT_CONNECT = 0, 1, 2, 3

LINGER = 0.3
"""Seconds ``send`` keeps listening after the answer, for findings about frames that follow
it (a request the CSMS sends right after, a second answer to the same id)."""


class UsageProblem(Exception):
    """Bad input from the user: a sentence, exit status 2."""


OPTION_NAMES = (
    ("check the path in --ocpp-target", "check the path in the URL"),
    ("(--ocpp-connect-timeout)", "(--connect-timeout)"),
    (
        "--ocpp-basic-auth-password (OCPP_BASIC_AUTH_PASSWORD)",
        "--password (OCPP_BASIC_AUTH_PASSWORD)",
    ),
    ("--ocpp-basic-auth-password", "--password"),
    ("--ocpp-tls-ca-file", "--ca-file"),
    ("--ocpp-tls-cert-file", "--cert-file"),
    ("--ocpp-tls-key-file", "--key-file"),
    ("--ocpp-tls-insecure", "--insecure"),
)
"""The core's connection sentences name the pytest options; ``send`` and ``shell`` have their
own (the URL argument, ``--connect-timeout``, ``--password``, ``--ca-file`` ...), so a hint
names what to change here."""


def connect_sentence(exc: Exception) -> str:
    """A failed connection said with this command's own option names."""
    text = str(exc)
    for theirs, ours in OPTION_NAMES:
        text = text.replace(theirs, ours)
    return text


def split_url(url: str) -> tuple[str, str]:
    """``ws://host:port/path/CP_1`` → (``ws://host:port/path``, ``CP_1``): the station id is
    the last path segment (OCPP-J 1.6 §3.1.1; 2.0.1 Part 4 §3.1.1)."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.netloc:
        raise UsageProblem(
            f"{url!r} is not a websocket URL; expected ws://HOST:PORT/PATH/STATION_ID"
        )
    base, _, station = url.rstrip("/").rpartition("/")
    if not station or base.endswith(":/") or base.endswith("//"):
        raise UsageProblem(
            f"{url!r} names no station id; put it last: ws://HOST:PORT/PATH/STATION_ID"
        )
    return base, station


def parse_payload(version: OcppVersion, action: str, text: str) -> dict[str, Any]:
    """The user's request, checked before it leaves: a known action, a JSON object, and a
    payload the official schema accepts (a sentence for each)."""
    schemas = schema_set(version)
    if not schemas.knows(action):
        close = [a for a in schemas.actions() if a.lower() == action.lower()]
        hint = f"; did you mean {close[0]}?" if close else ""
        raise UsageProblem(f"{action!r} is not an OCPP {version} action{hint}")
    try:
        payload = json.loads(text) if text.strip() else {}
    except ValueError as exc:
        raise UsageProblem(f"the payload is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise UsageProblem(f"the payload must be a JSON object, not {type(payload).__name__}")
    errors = schemas.errors(action, payload, response=False)
    if errors:
        raise UsageProblem(
            f"this {action} request breaks the OCPP {version} schema: {'; '.join(errors)}"
        )
    return payload


def _default_answer(version: OcppVersion) -> Callable[[links.IncomingCall], dict[str, Any]]:
    from pytest_ocpp.reference.validation import minimal_response

    def answer(call: links.IncomingCall) -> dict[str, Any]:
        return minimal_response(version.name, call.action) or {}

    return answer


class Session:
    """One judged connection as a station; ``on_request`` sees each CSMS request."""

    def __init__(
        self,
        url: str,
        version: OcppVersion,
        timeouts: Timeouts,
        on_request: Callable[[links.IncomingCall], None] | None = None,
        handler: Callable[[links.IncomingCall], dict[str, Any] | None] | None = None,
    ) -> None:
        self.base, self.station_id = split_url(url)
        self.version = version
        self.timeouts = timeouts
        self.trace = Trace()
        self.on_request = on_request
        self.handler = handler
        self.link: links.Link | None = None
        self.reported = 0
        self.password: str | None = None
        """HTTP Basic password (security profile 1), the station id as the user."""
        self.tls: TlsSettings | None = None
        """CA to trust, client certificate (profiles 2 and 3 over wss://); None: the system's
        CAs, no client certificate."""

    async def open(self) -> None:
        ws = await transport.connect(
            self.base,
            self.station_id,
            [self.version.subprotocol],
            timeouts=self.timeouts,
            trace=self.trace,
            password=self.password,
            tls=self.tls,
        )
        answer = _default_answer(self.version)

        def handle(call: links.IncomingCall) -> dict[str, Any]:
            reply = answer(call)
            if self.on_request is not None:
                self.on_request(call)
            return reply

        self.link = links.Link(
            ws,
            version=self.version,
            name=self.station_id,
            trace=self.trace,
            timeouts=self.timeouts,
            peer="CSMS",
            handlers={"*": self.handler or handle},
        )
        self.link.start()

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.link is not None
        return await self.link.call(action, payload, allow_error=True)

    def new_findings(self) -> list[str]:
        """Findings not shown yet (every finding of the core's checks, in order)."""
        if self.link is None:
            return []
        found = self.link.findings[self.reported :]
        self.reported += len(found)
        return found

    async def close(self) -> None:
        if self.link is not None:
            await self.link.close()


def _tls(args: argparse.Namespace) -> TlsSettings | None:
    """The TLS files of a wss:// session, each checked readable first (a sentence, not an
    ssl traceback); None when none is given."""
    files = {"--ca-file": args.ca_file, "--cert-file": args.cert_file, "--key-file": args.key_file}
    for option, path in files.items():
        if path is not None and not os.path.isfile(path):
            raise UsageProblem(f"{option} {path!r} is not a readable file")
    if (args.cert_file is None) != (args.key_file is None):
        raise UsageProblem("--cert-file and --key-file go together (a client certificate)")
    if not (args.ca_file or args.cert_file or args.insecure):
        return None
    return TlsSettings(args.ca_file, args.cert_file, args.key_file, insecure=args.insecure)


def _timeouts(args: argparse.Namespace) -> Timeouts:
    return Timeouts(connect=args.connect_timeout, response=args.timeout, message=args.timeout)


def _show(payload: Any) -> str:
    return json.dumps(payload, indent=None, ensure_ascii=False)


async def _send(args: argparse.Namespace, out: Any, err: Any) -> int:
    version = get_version(args.version)
    payload = parse_payload(version, args.action, args.payload)
    session = Session(
        args.url,
        version,
        _timeouts(args),
        on_request=lambda call: print(
            f"<- CSMS request {call.action} {_show(call.payload)} (answered with defaults)",
            file=out,
        ),
    )
    session.password = args.password
    session.tls = _tls(args)
    try:
        await session.open()
    except ConnectFailed as exc:
        print(f"pytest-ocpp send: {connect_sentence(exc)}", file=err)
        return EXIT_CONNECT
    status = EXIT_OK
    try:
        try:
            reply = await session.call(args.action, payload)
        except TargetTimeout:
            print(
                f"pytest-ocpp send: the CSMS did not answer {args.action} within "
                f"{args.timeout:g} s (--timeout)",
                file=err,
            )
            status = EXIT_FINDING
        except ConnectionLost as exc:
            print(f"pytest-ocpp send: {exc}", file=err)
            status = EXIT_FINDING
        except ProtocolViolation:
            # Its text is among the link's findings, printed below.
            status = EXIT_FINDING
        else:
            if "errorCode" in reply and set(reply) <= {
                "errorCode",
                "errorDescription",
                "errorDetails",
            }:
                print(f"<- CallError {_show(reply)}", file=out)
            else:
                print(f"<- {args.action} result {_show(reply)}", file=out)
        if session.link is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(session.link.closed.wait(), LINGER)
        for finding in session.new_findings():
            print(f"finding: {finding}", file=out)
            status = EXIT_FINDING
    finally:
        await session.close()
    return status


# -- shell ------------------------------------------------------------------------------------
_MODE_SAID = {"auto": "with defaults", "ask": "by you"}


class Shell(cmd.Cmd):
    """``Action {json}`` per line; replies and the CSMS's requests printed as they come.

    ``cmd`` brings readline: line editing, history (up arrow) and tab completion, which here
    completes action names. The link runs on a loop in a background thread, so the CSMS's own
    requests are shown while the prompt waits."""

    def __init__(self, session: Session, loop: Any, out: Any, answerer: Answerer) -> None:
        super().__init__(stdout=out)
        self.session = session
        self.loop = loop
        self.answerer = answerer
        self.actions = schema_set(session.version).actions()
        self.prompt = f"{session.station_id}> "
        self.intro = (
            f"connected to {session.base}/{session.station_id} as OCPP {session.version}; "
            "type 'Action {json}' (Tab completes actions), 'help', or 'quit'; the CSMS's "
            f"requests are answered {_MODE_SAID[answerer.mode]} ('answer auto|ask')"
        )

    def _print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def emptyline(self) -> bool:
        return False

    def completenames(self, text: str, *ignored: Any) -> list[str]:
        # The space readline would not add: the payload follows at once.
        words = [f"{a} " for a in self.actions if a.startswith(text)]
        return words + [c for c in ("help", "quit", "findings", "answer") if c.startswith(text)]

    def completedefault(self, *ignored: Any) -> list[str]:
        return []

    def do_quit(self, arg: str) -> bool:
        """quit: close the connection and leave (Ctrl-D does the same)."""
        return True

    do_exit = do_quit

    def do_EOF(self, arg: str) -> bool:
        self._print("")
        return True

    def onecmd(self, line: str) -> bool:
        """A line typed while a CSMS request waits for the user is its answer (an empty line
        included: the default); otherwise a command."""
        if self.answerer.mode == "ask" or self.answerer.waiting:
            said = asyncio.run_coroutine_threadsafe(self.answerer.offer(line), self.loop).result(
                self.session.timeouts.response + 5
            )
            if said is not None:
                self._print(said)
                return False
        return super().onecmd(line)

    def do_answer(self, arg: str) -> None:
        """answer auto|ask: answer the CSMS's requests with defaults, or ask me each time."""
        mode = arg.strip()
        if mode not in MODES:
            self._print(f"the CSMS's requests are answered {_MODE_SAID[self.answerer.mode]}")
            self._print("usage: answer auto|ask")
            return
        self.answerer.mode = mode
        self._print(f"the CSMS's requests are now answered {_MODE_SAID[mode]}")

    def do_findings(self, arg: str) -> None:
        """findings: every finding of this session so far."""
        link = self.session.link
        found = link.findings if link is not None else []
        self._print("\n".join(f"finding: {f}" for f in found) or "no findings")

    def do_help(self, arg: str) -> None:
        self._print(
            "Type an OCPP action and its JSON payload, e.g.  Heartbeat {}  or\n"
            '  Authorize {"idTag": "VALID_TAG_1"}\n'
            "Tab completes action names; up arrow recalls earlier lines.\n"
            "answer auto|ask: answer the CSMS's requests with defaults, or type each answer\n"
            "  (a JSON payload, '!error CODE description', or Enter for the default).\n"
            "findings: list what the checks found; quit (or Ctrl-D): leave."
        )

    def default(self, line: str) -> bool:
        action, _, text = line.strip().partition(" ")
        try:
            payload = parse_payload(self.session.version, action, text)
        except UsageProblem as exc:
            self._print(f"error: {exc}")
            return False
        future = asyncio.run_coroutine_threadsafe(self.session.call(action, payload), self.loop)
        try:
            reply = future.result(self.session.timeouts.response + 5)
        except TargetTimeout:
            self._print(
                f"error: the CSMS did not answer {action} within "
                f"{self.session.timeouts.response:g} s (--timeout)"
            )
        except ConnectionLost as exc:
            self._print(f"error: {exc}")
            return True
        except ProtocolViolation:
            pass  # shown with the findings below
        else:
            self._print(f"<- {_show(reply)}")
        for finding in self.session.new_findings():
            self._print(f"finding: {finding}")
        return False


def _shell(args: argparse.Namespace, out: Any, err: Any) -> int:
    from pytest_ocpp.reference.runner import BackgroundLoop

    version = get_version(args.version)
    shell: Shell | None = None
    lock = threading.Lock()

    def write(text: str) -> None:
        with lock:
            out.write(f"\n{text}\n")
            if shell is not None:
                out.write(shell.prompt)
            out.flush()

    answerer = Answerer(
        version, _default_answer(version), write, mode=args.answer, timeout=args.answer_timeout
    )
    session = Session(args.url, version, _timeouts(args), handler=answerer.handle)
    session.password = args.password
    session.tls = _tls(args)
    with BackgroundLoop("pytest-ocpp-shell") as loop:
        try:
            loop.run(session.open(), timeout=args.connect_timeout + 5)
        except ConnectFailed as exc:
            print(f"pytest-ocpp shell: {connect_sentence(exc)}", file=err)
            return EXIT_CONNECT
        shell = Shell(session, loop.loop, out, answerer)
        try:
            shell.cmdloop()
        except KeyboardInterrupt:
            out.write("\n")
        finally:
            with contextlib.suppress(Exception):
                loop.run(answerer.close(), timeout=5)
            with contextlib.suppress(Exception):
                loop.run(session.close(), timeout=5)
    return EXIT_OK


# -- command line ------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pytest-ocpp",
        description="Talk OCPP to a CSMS by hand, as a charging station, with every frame judged.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("url", help="CSMS URL ending in the station id: ws://host:9000/ocpp/CP_1")
        p.add_argument("--version", default="1.6", choices=("1.6", "2.0.1", "2.1"))
        p.add_argument(
            "--timeout", type=float, default=10.0, help="seconds to wait for an answer (10)"
        )
        p.add_argument(
            "--connect-timeout", type=float, default=10.0, help="seconds to connect (10)"
        )
        p.add_argument(
            "--password",
            default=os.environ.get("OCPP_BASIC_AUTH_PASSWORD"),
            help="HTTP Basic password, the station id as the user (security profile 1; env "
            "OCPP_BASIC_AUTH_PASSWORD, which keeps it out of the process list)",
        )
        p.add_argument("--ca-file", help="wss://: the CSMS root CA to trust (PEM)")
        p.add_argument("--cert-file", help="wss://: client certificate (security profile 3)")
        p.add_argument("--key-file", help="wss://: the client certificate's private key")
        p.add_argument(
            "--insecure",
            action="store_true",
            help="wss://: do not verify the CSMS's certificate (a test rig only)",
        )

    send = sub.add_parser("send", help="send one request, print the reply and every finding")
    common(send)
    send.add_argument("action", help="OCPP action, e.g. BootNotification")
    send.add_argument("payload", nargs="?", default="{}", help="JSON payload (default {})")
    shell = sub.add_parser("shell", help="interactive session: 'Action {json}' per line")
    common(shell)
    shell.add_argument(
        "--answer",
        choices=MODES,
        default="auto",
        help="the CSMS's own requests: answered with defaults (auto) or by you (ask)",
    )
    shell.add_argument(
        "--answer-timeout",
        type=float,
        default=30.0,
        help="seconds to wait for your answer in ask mode, then the default is sent (30)",
    )
    return parser


def main(argv: Sequence[str] | None = None, out: Any = None, err: Any = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = _parser().parse_args(argv)
    try:
        for name in ("timeout", "connect_timeout", "answer_timeout"):
            value = getattr(args, name, None)
            if value is not None and not (math.isfinite(value) and value > 0):
                option = "--" + name.replace("_", "-")
                raise UsageProblem(f"{option} must be a positive number of seconds, got {value:g}")
        if args.command == "send":
            return asyncio.run(_send(args, out, err))
        split_url(args.url)
        return _shell(args, out, err)
    except UsageProblem as exc:
        print(f"pytest-ocpp {args.command}: {exc}", file=err)
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
