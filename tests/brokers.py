"""A Redis broker of a test's own, that the test can kill and bring back empty.

The shared Redis on 6379 serves every engineer's test run, so a test about losing the broker
starts its own ``redis-server`` on a free port, with no persistence: killed with SIGKILL and
started again on the same port, it comes back empty, as a production Redis without
persistence (or one that lost its disk) would.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import redis

from tests.conftest import free_port


class RedisServer:
    """A ``redis-server`` child on a free port: ``kill`` it, ``start`` it again, same URL."""

    def __init__(self) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError("redis-server is not installed; the broker-loss tests need it")
        self.executable = executable
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 15) -> None:
        """Start an empty server and wait until it answers PING."""
        self.process = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"redis-server did not start on {self.port}") from None
                    time.sleep(0.05)
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL: no shutdown, no save; every queued and unacknowledged message is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None
