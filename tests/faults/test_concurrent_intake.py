"""Two identical uploads at once: one item, one stored file, both answered (PostgreSQL: SQLite serialises
writers, so the race cannot happen there)."""

import hashlib
import io
import threading
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from casework.evidence import services, uploads
from casework.evidence.models import MediaItem
from casework.evidence.samples import jpeg_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def test_identical_uploads_at_the_same_moment_store_one_file_and_link_the_second(case, intake_worker, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent writers")
    content = jpeg_bytes(seed=77)
    both_checked = threading.Barrier(2, timeout=10)
    real_place = uploads.place_original

    def place_together(received, storage_name):
        both_checked.wait()  # both intakes found no item and are about to place the file
        return real_place(received, storage_name)

    monkeypatch.setattr(services, "place_original", place_together)
    results, errors = [], []

    def upload():
        try:
            results.append(
                services.media_ingest_stream(
                    stream=io.BytesIO(content),
                    case=case,
                    original_filename="same.jpg",
                    source="witness",
                    acquired_by=intake_worker,
                )
            )
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(result.created for result in results) == [False, True]
    item = MediaItem.objects.get()
    folder = Path(default_storage.path(item.original.name)).parent
    assert [path.name for path in folder.iterdir()] == [item.sha256]  # no "<sha>_qZ7D4Tp", no partial file
    assert hashlib.sha256((folder / item.sha256).read_bytes()).hexdigest() == item.sha256
