"""The README's quick start, run word for word from an empty folder: a first post goes from
nothing to published on the sandbox's Mastodon."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

from sandbox.control import SandboxControl

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"<!-- quick start -->\n```sh\n(.*?)```\n<!-- end of quick start -->", re.S)


def _free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_the_quick_start_publishes_a_first_post(tmp_path: Path) -> None:
    found = BLOCK.search((ROOT / "README.md").read_text())
    assert found, "README.md has no quick start block"
    assert _free(8000), "the quick start serves on :8000, which is taken"
    assert _free(8700), "the quick start's sandbox serves on :8700, which is taken"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CALLSHEET_")}
    env |= {
        "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "CALLSHEET_TICK_SECONDS": "0.5",  # the only change: the scheduler looks twice a second
    }
    shell = subprocess.Popen(
        ["bash", "-e", "-c", found.group(1)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        said, _ = shell.communicate(timeout=150)
        assert shell.returncode == 0, said
        deliveries = said.strip().splitlines()[-1]
        assert '"status":"published"' in deliveries.replace(" ", ""), said
        sandbox = SandboxControl("http://127.0.0.1:8700")
        received = sandbox.posts("mastodon")
        sandbox.close()
        assert [post["body"]["text"] for post in received] == [
            "First day on the Night Shift set."
        ], received
    finally:
        os.killpg(shell.pid, signal.SIGTERM)
        shell.wait(30)
