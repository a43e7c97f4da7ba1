"""What a file really is, from its bytes (libmagic), and whether Casework accepts that type.

The name and the Content-Type a client sends are never trusted: only the sniffed type decides.
"""

import magic

from casework.evidence.processing.translation import gettext as _

# Sniffed MIME type -> kind of evidence. Never SVG, HTML, PostScript/EPS or archives: they can carry code
# or need dangerous interpreters (Ghostscript, a browser engine).
ALLOWED_MIME_TYPES: dict[str, str] = {
    "image/jpeg": "photo",
    "image/png": "photo",
    "image/webp": "photo",
    "image/tiff": "photo",
    "image/heic": "photo",
    "image/heif": "photo",
    "video/mp4": "video",
    "video/quicktime": "video",
    "video/webm": "video",
    "video/x-matroska": "video",
    "video/3gpp": "video",
    "video/x-msvideo": "video",
    "audio/mpeg": "audio",
    "audio/mp4": "audio",
    "audio/x-m4a": "audio",
    "audio/ogg": "audio",
    "audio/x-wav": "audio",
    "audio/wav": "audio",
    "audio/amr": "audio",
    "audio/x-hx-aac-adts": "audio",
    "audio/aac": "audio",
    "audio/flac": "audio",
    "application/pdf": "document",
}

# libmagic needs the first few KiB; more only costs time.
SNIFF_BYTES = 8192


class UnsupportedMedia(ValueError):
    """The bytes are of a type Casework does not accept; the message is shown to the person."""


def sniff_mime(head: bytes) -> str:
    """The MIME type libmagic reads from the first bytes of a file."""
    return magic.from_buffer(head[:SNIFF_BYTES], mime=True)


def classify(head: bytes) -> tuple[str, str]:
    """(MIME type, kind) of a file from its first bytes; raises UnsupportedMedia for anything else."""
    mime_type = sniff_mime(head)
    kind = ALLOWED_MIME_TYPES.get(mime_type)
    if kind is None:
        raise UnsupportedMedia(
            _(
                "Files of type %(type)s are not accepted. Casework accepts photos, videos, audio recordings "
                "and PDF documents."
            )
            % {"type": mime_type}
        )
    return mime_type, kind
