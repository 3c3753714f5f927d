"""``callsheet api``'s access log keeps every request line and no secret in it: query strings
and the tokens that links carry in their path are left out.

Before, uvicorn printed its access log through its own handler, whole: a request's query
string (``/healthz?key=…``) and a calendar subscription's token reached the log as they came.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx

from scheduler.cli.processes import stop_process
from tests.conftest import CALLSHEET, free_port

QUERY_KEY = "query-key-5d81c3a0f2"
SIGNOFF_TOKEN = "signoff-token-0b77e4d2a9"
CALENDAR_TOKEN = "cs_cal_calendar-token-93f0c6b1e4"


def test_the_api_logs_each_request_line_without_its_query_or_path_token(
    sqlite_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLSHEET_")}
    env |= {"CALLSHEET_DATABASE_URL": sqlite_url, "CALLSHEET_ENVIRONMENT": "test"}
    log_path = tmp_path / "api.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*CALLSHEET, "api", "--port", str(port)], env=env, stdout=log, stderr=log
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/healthz").raise_for_status()
                break
            except httpx.TransportError:
                assert process.poll() is None, log_path.read_text(errors="replace")
                assert time.monotonic() < deadline, log_path.read_text(errors="replace")
                time.sleep(0.2)
        answers = [
            httpx.get(f"{base}/healthz", params={"key": QUERY_KEY}),
            httpx.get(f"{base}/productions", params={"access_token": QUERY_KEY}),
            httpx.get(f"{base}/signoff/{SIGNOFF_TOKEN}"),
            httpx.get(f"{base}/calendar/{CALENDAR_TOKEN}.ics", params={"x": QUERY_KEY}),
        ]
    finally:
        stop_process(process)
    assert [a.status_code for a in answers] == [200, 401, 403, 404]
    logged = log_path.read_text(errors="replace")
    leaked = [line for line in logged.splitlines() if QUERY_KEY in line or CALENDAR_TOKEN in line]
    assert leaked == []
    assert SIGNOFF_TOKEN not in logged
    assert '"GET /healthz?… HTTP/1.1" 200' in logged  # the lines are there, redacted
    assert '"GET /productions?… HTTP/1.1" 401' in logged
    assert '"GET /signoff/' in logged
    assert '"GET /calendar/….ics?… HTTP/1.1" 404' in logged
