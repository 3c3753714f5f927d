"""Reading an upload's multipart/form-data body as it streams in, straight into the store.

Frameworks' form parsing keeps a whole upload (in memory, then a temporary file) before the
route sees it, so a limit could only be applied after gigabytes had been written. Here the
body is parsed part by part with ``python-multipart``'s streaming parser: the one file part
(``file``) goes chunk by chunk into an ``Intake`` (counted, hashed, refused past the limit),
and other parts are ignored, each bounded.
"""

from __future__ import annotations

import re
from typing import Any

from python_multipart import MultipartParser
from python_multipart.multipart import parse_options_header

from scheduler.core.errors import Invalid
from scheduler.media.store import Intake

#: The form field that carries the file.
FILE_FIELD = "file"
#: Longest original file name kept (for display only).
NAME_CHARS = 200
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


def boundary_of(content_type: str) -> bytes:
    """The multipart boundary of a ``Content-Type``; a 422 on ``file`` when it is not one."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise Invalid(FILE_FIELD, "send the file as multipart/form-data, in a field named file")
    return boundary


class FormIntake:
    """Feeds a multipart body into ``intake``: ``feed`` each chunk, then ``finish``."""

    def __init__(self, boundary: bytes, intake: Intake) -> None:
        self.intake = intake
        self.original_name = ""
        self.found_file = False
        self._in_file = False
        self._header_field = b""
        self._header_value = b""
        self._disposition = b""
        callbacks: Any = {
            "on_part_begin": self._part_begin,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_header_field": self._header_field_data,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
        }
        self._parser = MultipartParser(boundary, callbacks)

    def feed(self, chunk: bytes) -> None:
        """Parse ``chunk``; the file's bytes go to the intake (which may refuse them)."""
        self._parser.write(chunk)

    def finish(self) -> None:
        """The body has ended: a 422 on ``file`` when no file part was in it."""
        self._parser.finalize()
        if not self.found_file:
            raise Invalid(FILE_FIELD, "no file: send it in a multipart field named file")

    def _part_begin(self) -> None:
        self._disposition = b""

    def _header_field_data(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        if self._header_field.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_field, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        is_file = options.get(b"name") == FILE_FIELD.encode() and not self.found_file
        self._in_file = is_file
        if is_file:
            self.found_file = True
            self.original_name = display_name(options.get(b"filename", b""))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self.intake.write(data[start:end])

    def _part_end(self) -> None:
        self._in_file = False


def display_name(raw: bytes) -> str:
    """The client's file name reduced to something safe to show: its last part, printable,
    bounded. It names nothing on disk."""
    text = raw.decode("utf-8", errors="replace")
    last = re.split(r"[\\/]", text)[-1]
    return _UNPRINTABLE.sub("", last).strip()[:NAME_CHARS] or "upload"
