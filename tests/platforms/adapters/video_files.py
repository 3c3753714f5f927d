"""Small but well-formed MP4 files for the video platforms' tests (TikTok, YouTube)."""

from __future__ import annotations

import struct


def mp4(seconds: float = 12, size: int = 4096, *, version: int = 0) -> bytes:
    """A minimal MP4: ``ftyp``, ``moov`` with a movie header, and ``mdat`` padding to ``size``."""
    ftyp = _box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41")
    timescale = 1000
    if version == 1:
        header = struct.pack(">B3xQQIQ", 1, 0, 0, timescale, int(seconds * timescale))
    else:
        header = struct.pack(">B3xIIII", 0, 0, 0, timescale, int(seconds * timescale))
    moov = _box(b"moov", _box(b"mvhd", header + bytes(80)))
    head = ftyp + moov
    return head + _box(b"mdat", bytes(max(0, size - len(head) - 8)))


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", len(payload) + 8, kind) + payload
