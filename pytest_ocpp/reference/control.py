"""Forward one JSON command from stdin to a reference target's control endpoint.

The ``command`` operator adapter runs a shell command with the action as JSON on stdin; for the
bundled reference targets that command is::

    python -m pytest_ocpp.reference.control ws://127.0.0.1:PORT/_control

The JSON object is sent unchanged as one text message, whatever its kind: a request to send
(``{"station_id", "action", "payload", "ocpp_version"?}``) or, for the reference CSMS, a
per-station setting (``{"kind": "setup", "station_id", "setting", "value", "ocpp_version"?}``,
see :meth:`pytest_ocpp.reference.csms.ReferenceCsms.setup`). Keeping this a dumb pipe means a
new command kind needs no change here. The endpoint answers ``{"ok": true}`` or
``{"ok": false, "error": "..."}``. Exit status 0 means ok, 1 anything else
(with a sentence on stderr). Only the standard library and ``websockets`` are imported: this
runs once per operator action, so it must start fast.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

__all__ = ["ControlError", "forward", "main"]


class ControlError(Exception):
    """The command could not be delivered, or the endpoint refused it."""


async def forward(url: str, command: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """Send ``command`` to the control endpoint at ``url``; return its ``ok`` reply."""
    try:
        reply_text = await asyncio.wait_for(_exchange(url, command, timeout), timeout)
    except (TimeoutError, asyncio.TimeoutError):
        raise ControlError(
            f"The control endpoint at {url} did not answer within {timeout} s; "
            "is the reference target running, and is the station connected?"
        ) from None
    except InvalidURI as error:
        raise ControlError(f"{url!r} is not a websocket URL ({error}).") from None
    except (OSError, InvalidHandshake) as error:
        raise ControlError(
            f"Could not connect to the control endpoint at {url}: {error}. "
            "Is the reference target running on that port?"
        ) from None
    except ConnectionClosed as error:
        raise ControlError(
            f"The control endpoint at {url} closed the connection: {error}."
        ) from None
    try:
        reply = json.loads(reply_text)
    except ValueError:
        raise ControlError(f"The control endpoint answered non-JSON: {reply_text!r}.") from None
    if not isinstance(reply, dict):
        raise ControlError(f"The control endpoint answered {reply!r}, not a JSON object.")
    if reply.get("ok") is not True:
        raise ControlError(str(reply.get("error") or f"The command was refused: {reply!r}."))
    return reply


async def _exchange(url: str, command: dict[str, Any], timeout: float) -> str | bytes:
    async with connect(url, open_timeout=timeout, close_timeout=1) as websocket:
        await websocket.send(json.dumps(command))
        return await websocket.recv()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_ocpp.reference.control",
        description="Forward the JSON command on stdin to a reference target's control endpoint.",
    )
    parser.add_argument("url", help="control endpoint, e.g. ws://127.0.0.1:9000/_control")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds (default 10)")
    args = parser.parse_args(argv)
    text = sys.stdin.read()
    try:
        command = json.loads(text)
    except ValueError as error:
        print(f"stdin is not JSON ({error}); expected one JSON object.", file=sys.stderr)
        return 1
    if not isinstance(command, dict):
        print(f"stdin holds {type(command).__name__}, expected one JSON object.", file=sys.stderr)
        return 1
    try:
        asyncio.run(forward(args.url, command, args.timeout))
    except ControlError as error:
        print(str(error), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
