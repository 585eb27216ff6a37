"""An asyncio event loop in one daemon thread, for hosting servers beside pytest.

pytest-asyncio gives every test its own loop (function scope); a server living in one of those
loops is unreachable while the loop idles between tests. Hosting the reference CSMS or station
in a loop of its own, in a background thread, keeps it serving no matter which loop, or which
plain synchronous test, talks to it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

__all__ = ["BackgroundLoop"]

T = TypeVar("T")


class BackgroundLoop:
    """Run coroutines on a private event loop in a daemon thread.

    ``run`` and ``submit`` are thread-safe; they are meant to be called from other threads
    (including a thread that runs its own event loop, such as a pytest-asyncio test).
    """

    def __init__(self, name: str = "pytest-ocpp-background-loop") -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("The background loop is not running; call start() first.")
        return self._loop

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread and return once its loop runs."""
        if self.running:
            return
        loop = asyncio.new_event_loop()
        started = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(started.set)
            loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=serve, name=self.name, daemon=True)
        self._thread.start()
        if not started.wait(timeout=10):
            raise RuntimeError(f"The background loop {self.name!r} did not start within 10 s.")

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the background loop; returns without waiting."""
        if self._thread is not None and threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("submit() called from the background loop's own thread.")
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = 30.0) -> T:
        """Run ``coro`` on the background loop and block until it finishes.

        Raises TimeoutError (and cancels the coroutine) after ``timeout`` seconds.
        """
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(
                f"The coroutine did not finish within {timeout} s on {self.name!r}."
            ) from None

    def stop(self, timeout: float = 10.0) -> None:
        """Cancel what still runs on the loop, stop it, join the thread, close the loop."""
        if self._loop is None or self._thread is None:
            return
        loop, thread = self._loop, self._thread
        if thread.is_alive():

            async def cancel_all() -> None:
                current = asyncio.current_task()
                tasks = [t for t in asyncio.all_tasks() if t is not current]
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                await loop.shutdown_asyncgens()

            try:
                asyncio.run_coroutine_threadsafe(cancel_all(), loop).result(timeout)
            except (concurrent.futures.TimeoutError, RuntimeError):
                pass
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)
        if not thread.is_alive():
            loop.close()
        self._loop = None
        self._thread = None

    def __enter__(self) -> BackgroundLoop:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
