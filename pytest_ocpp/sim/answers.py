"""How ``pytest-ocpp shell`` answers the CSMS's own requests: with defaults, or by the user.

``--answer=auto`` (the default) answers every CSMS request at once with the smallest valid
response of the official schema. ``--answer=ask`` (or the shell command ``answer ask``) shows
the request and makes the next line the user types its reply:

* a JSON object: the response payload, checked against the schema before it leaves (a
  payload that breaks it is refused, and the user may type another);
* ``!error CODE description``: a CallError with one of the version's RPC error codes;
* an empty line: the default answer.

Nobody may keep a CSMS waiting for ever: an unanswered request gets the default answer after
``--answer-timeout`` seconds, with a notice naming that setting. Requests that arrive while
one is pending queue up and are answered in the order they came.

Everything here runs on the link's event loop; the shell thread reaches it through
:meth:`Answerer.offer` (``asyncio.run_coroutine_threadsafe``).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pytest_ocpp import link as links
from pytest_ocpp.verdicts import ConnectionLost
from pytest_ocpp.versions import OcppVersion

__all__ = ["MODES", "Answerer"]

MODES = ("auto", "ask")


def _show(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False)


@dataclass(eq=False)
class _Question:
    """A CSMS request waiting for the user's answer."""

    call: links.IncomingCall
    default: dict[str, Any]
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    typed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set by every line refused as an answer: the user is at it, the window starts again."""


class Answerer:
    """The shell's handler of CSMS requests (install :meth:`handle` as the link's ``"*"``
    handler). ``write`` prints one message above the prompt (thread-safe on the shell's side)."""

    def __init__(
        self,
        version: OcppVersion,
        default: Callable[[links.IncomingCall], dict[str, Any]],
        write: Callable[[str], None],
        *,
        mode: str = "auto",
        timeout: float = 30.0,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"answer mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.version = version
        self.default = default
        self.write = write
        self.mode = mode
        self.timeout = timeout
        self._pending: deque[_Question] = deque()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def waiting(self) -> int:
        """How many CSMS requests wait for the user's answer."""
        return len(self._pending)

    def handle(self, call: links.IncomingCall) -> dict[str, Any] | None:
        """Answer now with the default (``auto``), or ask the user and answer later (``ask``:
        None tells the link the reply comes from elsewhere)."""
        default = self.default(call)
        if self.mode == "auto":
            self.write(f"<- CSMS request {call.action} {_show(call.payload)} (answered)")
            return default
        question = _Question(call, default)
        self._pending.append(question)
        ahead = len(self._pending) - 1
        queued = f" ({ahead} request(s) ahead of it)" if ahead else ""
        self.write(
            f"<- CSMS request {call.action} {_show(call.payload)}{queued}\n"
            f"   your answer: a JSON payload, '!error CODE description', or Enter for "
            f"{_show(default)} (default in {self.timeout:g} s, --answer-timeout)"
        )
        task = asyncio.ensure_future(self._expire(question))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return None

    async def _expire(self, question: _Question) -> None:
        """The default answer once ``timeout`` passes without a line from the user (a refused
        answer starts the window again)."""
        while True:
            question.typed.clear()
            waits = [asyncio.ensure_future(e.wait()) for e in (question.answered, question.typed)]
            done, _ = await asyncio.wait(
                waits, timeout=self.timeout, return_when=asyncio.FIRST_COMPLETED
            )
            for waiting in waits:
                waiting.cancel()
            if question.answered.is_set():
                return
            if not done:
                break
        if question not in self._pending:
            return
        self._pending.remove(question)
        await self._send(question, question.default, None, "")
        self.write(
            f"-> no answer to {question.call.action} within {self.timeout:g} s "
            f"(--answer-timeout): answered with the default {_show(question.default)}"
        )

    async def offer(self, line: str) -> str | None:
        """The user's line as the answer to the oldest pending request: what to print, or
        None when no request is waiting (the line is a shell command then)."""
        if not self._pending:
            return None
        question = self._pending[0]
        action = question.call.action
        parsed = self._parse(question, line.strip())
        if isinstance(parsed, str):
            question.typed.set()
            return f"error: {parsed}; answer {action} again"
        payload, code, description = parsed
        self._pending.popleft()
        question.answered.set()
        await self._send(question, payload, code, description)
        if code is not None:
            return f"-> answered {action} with CallError {code} {description!r}"
        return f"-> answered {action} with {_show(payload)}"

    def _parse(
        self, question: _Question, text: str
    ) -> tuple[dict[str, Any] | None, str | None, str] | str:
        """(payload, error code, description) of an answer, or why it cannot be sent."""
        if not text:
            return question.default, None, ""
        if text.startswith("!error"):
            code, _, description = text[len("!error") :].strip().partition(" ")
            if code not in self.version.error_codes:
                known = ", ".join(sorted(self.version.error_codes))
                return f"{code or '(none)'!r} is not an OCPP {self.version} error code ({known})"
            return None, code, description.strip()
        try:
            payload = json.loads(text)
        except ValueError as exc:
            return f"the answer is not valid JSON ({exc})"
        if not isinstance(payload, dict):
            return f"the answer must be a JSON object, not {type(payload).__name__}"
        action = question.call.action
        errors = question.call.link.schemas.errors(action, payload, response=True)
        if errors:
            return f"this {action} response breaks the OCPP {self.version} schema: " + "; ".join(
                errors
            )
        return payload, None, ""

    async def _send(
        self,
        question: _Question,
        payload: dict[str, Any] | None,
        code: str | None,
        description: str,
    ) -> None:
        try:
            if code is not None:
                await question.call.reply_error(code, description)
            else:
                await question.call.reply(payload or {})
        except ConnectionLost as exc:
            self.write(f"error: could not answer {question.call.action}: {exc}")

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
