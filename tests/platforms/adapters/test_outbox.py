"""The outbox appends exactly one line per idempotency key, even with many writers."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from platforms.adapters import outbox
from platforms.adapters.base import Media, Permanent, PublishRequest, Transient
from platforms.adapters.outbox import OutboxAdapter, OutboxSettings, external_id_for, read_outbox

ROOT = Path(__file__).resolve().parents[3]

CHILD = """
import json, sys
from platforms.adapters.base import PublishRequest
from platforms.adapters.outbox import OutboxAdapter, OutboxSettings

path, keys = sys.argv[1], sys.argv[2:]
adapter = OutboxAdapter(OutboxSettings(path=path))
print("ready", flush=True)
sys.stdin.readline()
results = {}
for key in keys:
    request = PublishRequest(idempotency_key=key, text="post " + key, account_handle="@crew")
    results[key] = adapter.publish(request).external_id
print(json.dumps(results), flush=True)
"""


def _request(key: str, **extra: Any) -> PublishRequest:
    return PublishRequest(
        idempotency_key=key, text=f"Day {key} on set", account_handle="@nightshift", **extra
    )


def _adapter(path: Path) -> OutboxAdapter:
    return OutboxAdapter(OutboxSettings(path=str(path)))


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


@pytest.fixture(autouse=True)
def forget_indexes() -> None:
    """Each test starts as a fresh process would, with no file already indexed."""
    outbox._indexes.clear()


def test_publish_appends_one_json_line(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "outbox.jsonl"  # folders made on first use
    request = _request(
        "k1", media=[Media(url="https://cdn.test/still.jpg")], metadata={"pillar": "crew"}
    )
    result = _adapter(path).publish(request)

    assert result.external_id == external_id_for("k1")
    assert result.external_id.startswith("outbox-")
    assert result.url == f"{path.as_uri()}#{result.external_id}"
    [record] = read_outbox(path)
    assert record["idempotency_key"] == "k1"
    assert record["external_id"] == result.external_id
    assert record["account"] == "@nightshift"
    assert record["text"] == "Day k1 on set"
    assert record["media"] == [{"url": "https://cdn.test/still.jpg", "kind": "image", "alt": None}]
    assert record["metadata"] == {"pillar": "crew"}
    assert record["published_at"].endswith("+00:00")
    assert len(_lines(path)) == 1


def test_each_new_key_adds_a_line(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    adapter = _adapter(path)
    for key in ("a", "b", "c"):
        adapter.publish(_request(key))
    assert [r["idempotency_key"] for r in read_outbox(path)] == ["a", "b", "c"]


def test_same_key_twice_returns_the_first_post(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    first = _adapter(path).publish(_request("same"))
    again = _adapter(path).publish(_request("same"))
    outbox._indexes.clear()  # as another process, reading the file from scratch
    third = _adapter(path).publish(_request("same"))
    assert first == again == third
    assert len(_lines(path)) == 1


def test_lines_from_other_writers_are_honoured(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    adapter = _adapter(path)
    adapter.publish(_request("mine"))
    written_elsewhere = {"idempotency_key": "theirs", "external_id": "outbox-elsewhere"}
    with path.open("a") as handle:
        handle.write(json.dumps(written_elsewhere) + "\n")
    assert adapter.publish(_request("theirs")).external_id == "outbox-elsewhere"
    assert len(_lines(path)) == 2


def test_torn_last_line_is_closed_off_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    path.write_bytes(b'{"idempotency_key": "half-writ')  # a writer killed mid-line
    _adapter(path).publish(_request("whole"))
    assert [r["idempotency_key"] for r in read_outbox(path)] == ["whole"]
    assert len(_lines(path)) == 2
    _adapter(path).publish(_request("whole"))
    outbox._indexes.clear()
    _adapter(path).publish(_request("whole"))
    assert len(_lines(path)) == 2


def test_a_replaced_file_is_read_afresh(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    adapter = _adapter(path)
    adapter.publish(_request("a"))
    path.unlink()
    adapter.publish(_request("a"))
    assert len(_lines(path)) == 1
    path.write_text("")  # truncated in place: same inode, shorter than what was read
    adapter.publish(_request("a"))
    assert len(_lines(path)) == 1


def test_unwritable_path_is_transient_and_writes_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(Transient) as caught:
        _adapter(blocker / "outbox.jsonl").publish(_request("k"))
    assert "could not write to the outbox file" in caught.value.message
    assert str(blocker) in caught.value.message

    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(Transient, match="Is a directory"):
        _adapter(folder).publish(_request("k"))
    assert blocker.read_text() == ""


def test_content_that_is_not_json_is_permanent(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    with pytest.raises(Permanent, match="JSON"):
        _adapter(path).publish(_request("k", metadata={"when": object()}))
    assert path.read_bytes() == b""


def test_read_outbox_of_a_missing_file_is_empty(tmp_path: Path) -> None:
    assert read_outbox(tmp_path / "nothing.jsonl") == []


def test_settings_are_checked() -> None:
    with pytest.raises(ValidationError) as caught:
        OutboxAdapter.parse_settings({"path": ""})
    assert caught.value.errors()[0]["loc"] == ("path",)
    with pytest.raises(ValidationError) as caught:
        OutboxAdapter.parse_settings({"path": "x.jsonl", "pth": "typo"})
    assert caught.value.errors()[0]["loc"] == ("pth",)


def test_threads_publish_each_key_once(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    keys = [f"k{n}" for n in range(100)]
    results: list[dict[str, str]] = []

    def worker(offset: int) -> None:
        adapter = _adapter(path)
        rotated = keys[offset:] + keys[:offset]
        results.append({k: adapter.publish(_request(k)).external_id for k in rotated})

    threads = [threading.Thread(target=worker, args=(n * 13,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(r["idempotency_key"] for r in read_outbox(path)) == sorted(keys)
    assert len(_lines(path)) == len(keys)
    assert all(result == results[0] for result in results)


def test_two_processes_publish_each_key_once(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    first = [f"k{n:03}" for n in range(200)]  # k000..k199, ascending
    second = [f"k{n:03}" for n in range(299, 99, -1)]  # k299..k100: they meet in the overlap
    children = [_spawn(path, keys) for keys in (first, second)]
    for child in children:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
    for child in children:  # released together so they really contend for the file
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    answers = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        answers.append(json.loads(out))

    published = [r["idempotency_key"] for r in read_outbox(path)]
    assert sorted(published) == [f"k{n:03}" for n in range(300)]
    assert len(_lines(path)) == 300
    overlap = set(first) & set(second)
    assert len(overlap) == 100
    assert all(answers[0][k] == answers[1][k] == external_id_for(k) for k in overlap)


def _spawn(path: Path, keys: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), *keys],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_ten_thousand_publishes_read_each_line_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Catching up reads only new lines: linear work overall, not a rescan per publish."""
    path = tmp_path / "outbox.jsonl"
    parsed = 0
    original = outbox._remember

    def counting(index: outbox._Index, raw: bytes, where: Path) -> None:
        nonlocal parsed
        parsed += 1
        original(index, raw, where)

    monkeypatch.setattr(outbox, "_remember", counting)
    writers = [_adapter(path), _adapter(path)]
    for n in range(10_000):
        writers[n % 2].publish(_request(f"key-{n}"))
    writers[0].publish(_request("key-0"))

    assert len(_lines(path)) == 10_000
    assert parsed == 0  # this process wrote every line itself, so it never re-reads one
    outbox._indexes.clear()
    writers[1].publish(_request("key-9999"))
    assert parsed == 10_000  # a fresh process reads the file exactly once
    writers[1].publish(_request("key-10000"))
    assert parsed == 10_000


def test_lookup_finds_a_published_key_and_nothing_else(tmp_path: Path) -> None:
    adapter = _adapter(tmp_path / "not-yet" / "outbox.jsonl")
    assert adapter.lookup(_request("k1")) is None  # no file yet: certainly not published

    published = adapter.publish(_request("k1"))

    assert adapter.lookup(_request("k1")) == published
    assert adapter.lookup(_request("k2")) is None
