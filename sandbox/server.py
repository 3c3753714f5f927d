"""The sandbox served from a background thread, for the demo and for scripts.

``callsheet sandbox`` is the way to run it on its own; this is for a process that needs
platforms for a while (the demo publishes to several) without managing a second process.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn

from sandbox.app import create_app
from sandbox.control import SandboxControl

#: Seconds to wait for the server to listen before giving up.
START_SECONDS = 10.0


class SandboxServer:
    """A sandbox on a free local port while the ``with`` block runs."""

    def __init__(self, *, keep: Path | None = None, host: str = "127.0.0.1") -> None:
        config = uvicorn.Config(create_app(keep=keep), host=host, port=0, log_level="error")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="sandbox", daemon=True)
        self._host = host
        self.control: SandboxControl | None = None

    def __enter__(self) -> SandboxControl:
        self._thread.start()
        deadline = time.monotonic() + START_SECONDS
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the platform sandbox did not start")
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.control = SandboxControl(f"http://{self._host}:{port}")
        return self.control

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.control is not None:
            self.control.close()
        self._server.should_exit = True
        self._thread.join(START_SECONDS)
