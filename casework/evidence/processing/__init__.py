"""Processing of untrusted media: type sniffing, and metadata/derived files from a sandboxed child process.

Pure Python and Django-independent: nothing here touches the database or the settings. The evidence
services call it and store what it returns.
"""

from casework.evidence.processing.sandbox import (
    FAILURES,
    ProbeFailed,
    ProbeResult,
    TextResult,
    extract_text,
    probe_media,
)
from casework.evidence.processing.sniffing import ALLOWED_MIME_TYPES, UnsupportedMedia, classify, sniff_mime

__all__ = [
    "ALLOWED_MIME_TYPES",
    "FAILURES",
    "ProbeFailed",
    "ProbeResult",
    "TextResult",
    "UnsupportedMedia",
    "classify",
    "extract_text",
    "phash_distance",
    "probe_media",
    "sniff_mime",
]


def phash_distance(first: str, second: str) -> int:
    """Hamming distance between two perceptual hashes given as hex strings of equal length."""
    if len(first) != len(second):
        raise ValueError("perceptual hashes of different sizes cannot be compared")
    return (int(first, 16) ^ int(second, 16)).bit_count()
