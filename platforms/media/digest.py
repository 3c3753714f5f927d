"""The digest of a medium's bytes, where Callsheet holds the file.

An approval binds what the reviewer saw. For a local file (a plain path or ``file://``) that is
its bytes, not its name: a picture replaced under the same name is another picture, and must
not go out on the old approval. A link (http or https) is never fetched (``probe`` explains
why), so it is bound by its URL only, and the approval says so.

Hashing a two-gigabyte video on every preview would be slow, so digests are cached by what the
file system says about the file: path, inode, size, modification and change times. Writing
the file, or renaming another over it, changes those (the change time cannot be set back by a
program), so a changed file is read again.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from platforms.media.probe import local_path

#: What the digest of a file that cannot be read is: never equal to a real digest.
UNREADABLE = "unreadable"


def held_file_digest(url: str) -> str | None:
    """The sha256 (hex) of the file ``url`` names, ``UNREADABLE`` if it cannot be read, or
    ``None`` for a link, whose bytes Callsheet does not hold."""
    path = local_path(url)
    if path is None:
        return None
    try:
        found = os.stat(path)
    except OSError:
        return UNREADABLE
    return _digest(str(path), found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns)


@lru_cache(maxsize=256)
def _digest(path: str, inode: int, size: int, mtime_ns: int, ctime_ns: int) -> str:
    """The file's sha256; the arguments after ``path`` are the cache key only."""
    del inode, size, mtime_ns, ctime_ns
    try:
        with open(path, "rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest()
    except OSError:
        return UNREADABLE
