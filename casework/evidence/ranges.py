"""HTTP range requests (RFC 9110 §14) for serving an original in parts: a browser's <video> and <audio> ask for
the bytes they need (`Range: bytes=0-`, then a later part when the person seeks).

One range per request, as browsers ask for media. A request for several ranges gets the whole file (a server
may ignore Range, §14.2); a range it cannot satisfy, or a malformed one, is answered 416.
"""

import re
from dataclasses import dataclass

# ASCII digits only (str.isdigit would take "²" or "٣"), and no more of them than a file size can have.
_BYTES_RANGE = re.compile(r"([0-9]*)-([0-9]*)", re.ASCII)
_MAX_DIGITS = 19


class RangeNotSatisfiable(Exception):
    """The Range header names bytes in a malformed way, or bytes the file does not have: answer 416."""


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive, as in Content-Range

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def requested_range(header: str | None, *, size: int, if_range: str | None = None, etag: str = "") -> ByteRange | None:
    """The byte range to send of a file of `size` bytes, or None for the whole file.

    None when there is no Range header, when it counts in a unit other than bytes (ignored, §14.2), when it
    asks for several ranges, or when an If-Range validator does not match `etag` (the file changed, so the
    client must not splice the part into what it has; §13.1.5; a date never matches: no Last-Modified is
    sent). Raises RangeNotSatisfiable for a malformed bytes range or one that starts past the end.
    """
    if not header:
        return None
    if if_range is not None and if_range.strip() != etag:
        return None
    unit, equals, ranges = header.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        return None
    ranges = ranges.strip()
    if "," in ranges:
        return None
    match = _BYTES_RANGE.fullmatch(ranges)
    if match is None:
        raise RangeNotSatisfiable(header)
    first, last = match.groups()
    if len(first) > _MAX_DIGITS:
        raise RangeNotSatisfiable(header)  # starts past the end of any file
    if not first:
        # A suffix: the last N bytes (all of them when N is larger than the file).
        if not last or (len(last) <= _MAX_DIGITS and int(last) == 0) or size == 0:
            raise RangeNotSatisfiable(header)
        suffix = size if len(last) > _MAX_DIGITS else int(last)
        return ByteRange(max(size - suffix, 0), size - 1)
    start = int(first)
    end = size - 1 if not last or len(last) > _MAX_DIGITS else int(last)
    if end < start or start >= size:
        raise RangeNotSatisfiable(header)
    return ByteRange(start, min(end, size - 1))


class RangeReader:
    """Reads `length` bytes of `file` from `start`, then nothing: what a FileResponse streams for a 206.

    It has no `fileno` on purpose, so that no WSGI server sends the rest of the file with sendfile()."""

    def __init__(self, file, byte_range: ByteRange):
        self._file = file
        self._file.seek(byte_range.start)
        self._remaining = byte_range.length

    def read(self, size: int = -1) -> bytes:
        if self._remaining <= 0:
            return b""
        if size is None or size < 0 or size > self._remaining:
            size = self._remaining
        data = self._file.read(size)
        self._remaining -= len(data)
        return data

    def close(self) -> None:
        self._file.close()
