"""A SHA-256 whose running state can be written down and taken up again by another process.

hashlib's objects cannot be pickled, so a resumable upload whose next piece reaches another process (a restart,
another of gunicorn's workers) would have to read back every byte stored so far to hash them again. OpenSSL's
own SHA-256 (the one hashlib uses, so the same speed) keeps its state in a plain structure, SHA256_CTX: eight
32-bit words of the hash so far, the byte count, and the last partial 64-byte block. Saved as bytes and loaded
into a fresh structure, it continues exactly where it stopped.

`saveable_sha256()` is None where libcrypto cannot be loaded or fails the self-check below: callers then keep
hashlib's object in memory, as before.
"""

import ctypes
import ctypes.util
import hashlib
from functools import cache

STATE_BYTES = 112  # sizeof(SHA256_CTX): SHA_LONG h[8], Nl, Nh, data[16]; unsigned int num, md_len


class SaveableSha256:
    """hashlib.sha256's update/hexdigest, plus `state()`: bytes that `SaveableSha256(state)` continues from."""

    def __init__(self, library, state: bytes | None = None):
        self._library = library
        self._context = ctypes.create_string_buffer(STATE_BYTES)
        if state is None:
            if library.SHA256_Init(self._context) != 1:
                raise OSError("SHA256_Init failed")
        else:
            if len(state) != STATE_BYTES:
                raise ValueError("not a SHA-256 state")
            ctypes.memmove(self._context, state, STATE_BYTES)

    def update(self, data) -> None:
        if not isinstance(data, bytes):
            data = bytes(data)
        if self._library.SHA256_Update(self._context, data, len(data)) != 1:
            raise OSError("SHA256_Update failed")

    def state(self) -> bytes:
        return self._context.raw

    def hexdigest(self) -> str:
        finishing = ctypes.create_string_buffer(self._context.raw, STATE_BYTES)  # this one can go on
        digest = ctypes.create_string_buffer(32)
        if self._library.SHA256_Final(digest, finishing) != 1:
            raise OSError("SHA256_Final failed")
        return digest.raw.hex()


def _load_library():
    names = [ctypes.util.find_library("crypto"), "libcrypto.so.3", "libcrypto.so.1.1", "libcrypto.dylib"]
    for name in filter(None, names):
        try:
            library = ctypes.CDLL(name)
            functions = (library.SHA256_Init, library.SHA256_Update, library.SHA256_Final)
        except (OSError, AttributeError):
            continue
        for function in functions:
            function.restype = ctypes.c_int
        library.SHA256_Init.argtypes = [ctypes.c_void_p]
        library.SHA256_Update.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
        library.SHA256_Final.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        return library
    return None


def _passes_self_check(library) -> bool:
    """A state saved part-way, loaded into a new structure and continued, gives hashlib's digest."""
    data = bytes(range(256)) * 5 + b"tail"
    for split in (0, 1, 63, 64, 65, 1000, len(data)):
        first = SaveableSha256(library)
        first.update(data[:split])
        second = SaveableSha256(library, first.state())
        second.update(data[split:])
        if second.hexdigest() != hashlib.sha256(data).hexdigest():
            return False
    return True


@cache
def _library():
    library = _load_library()
    try:
        return library if library is not None and _passes_self_check(library) else None
    except (OSError, ValueError):
        return None


def saveable_sha256(state: bytes | None = None) -> SaveableSha256 | None:
    """A new SHA-256 (or one continuing from `state`), or None where OpenSSL's cannot be used this way."""
    library = _library()
    return SaveableSha256(library, state) if library is not None else None
