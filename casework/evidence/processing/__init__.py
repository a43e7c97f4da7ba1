"""Processing of untrusted media: type sniffing, and metadata/derived files from a sandboxed child process.

Nothing here touches the database; the evidence services call it and store what it returns.
"""

from casework.evidence.processing.sandbox import ProbeFailed, ProbeResult, probe_media
from casework.evidence.processing.sniffing import ALLOWED_MIME_TYPES, UnsupportedMedia, classify, sniff_mime

__all__ = [
    "ALLOWED_MIME_TYPES",
    "ProbeFailed",
    "ProbeResult",
    "UnsupportedMedia",
    "classify",
    "phash_distance",
    "probe_media",
    "sniff_mime",
]


def phash_distance(first: str, second: str) -> int:
    """Hamming distance between two perceptual hashes given as hex strings of equal length."""
    return (int(first, 16) ^ int(second, 16)).bit_count()
