"""A SHA-256 whose state is saved part-way and continued in a new object gives the file's SHA-256."""

import hashlib
import os

import pytest

from casework.evidence.sha256_state import STATE_BYTES, saveable_sha256

DATA = os.urandom(300_000)


@pytest.fixture(autouse=True)
def needs_libcrypto():
    if saveable_sha256() is None:
        pytest.skip("libcrypto cannot be loaded here")


@pytest.mark.parametrize("split", [0, 1, 55, 63, 64, 65, 4096, 123_457, len(DATA)])
def test_a_state_saved_anywhere_continues_to_the_same_digest(split):
    first = saveable_sha256()
    first.update(DATA[:split])
    state = first.state()
    assert len(state) == STATE_BYTES
    second = saveable_sha256(state)
    second.update(memoryview(DATA)[split:])
    assert second.hexdigest() == hashlib.sha256(DATA).hexdigest()


def test_reading_the_digest_does_not_end_the_hash():
    running = saveable_sha256()
    running.update(DATA[:1000])
    assert running.hexdigest() == hashlib.sha256(DATA[:1000]).hexdigest()
    running.update(DATA[1000:])
    assert running.hexdigest() == hashlib.sha256(DATA).hexdigest()


def test_a_state_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError):
        saveable_sha256(b"\0" * 50)
