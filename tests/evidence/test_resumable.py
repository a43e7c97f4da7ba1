"""Resumable uploads (tus 1.0): a file sent in pieces over a poor link, resumed after a dropped connection,
taken in through the same intake as every other upload."""

import base64
import hashlib
import io
from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from casework.cases.models import CaseMembership as Membership
from casework.evidence import resumable
from casework.evidence.models import CustodyAction, CustodyEvent, MediaItem
from casework.evidence.resumable import resumable_dir, upload_find, uploads_remove_expired
from casework.evidence.samples import jpeg_bytes
from casework.evidence.tasks import uploads_remove_expired_task
from casework.web.models import ApiToken
from tests.factories import IncidentFactory, MembershipFactory, UserFactory, WitnessFactory

pytestmark = pytest.mark.django_db
TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}


def metadata(**values: str) -> str:
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items())


def create(api, case, content: bytes, *, length: int | None = None, **details):
    details = {"filename": "IMG_2040.jpg", "source": "witness", **details}
    return api.generic(
        "POST",
        f"/api/cases/{case.reference}/uploads/",
        HTTP_UPLOAD_LENGTH=str(len(content) if length is None else length),
        HTTP_UPLOAD_METADATA=metadata(**details),
        **TUS,
    )


def send(api, location: str, piece: bytes, offset: int, **headers):
    return api.generic(
        "PATCH",
        location,
        data=piece,
        content_type="application/offset+octet-stream",
        HTTP_UPLOAD_OFFSET=str(offset),
        **{**TUS, **headers},
    )


def where(api, location: str) -> int:
    response = api.head(location, **TUS)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store" or "no-store" in response["Cache-Control"]
    return int(response["Upload-Offset"])


@pytest.fixture
def content():
    # A real photo padded to a few pieces: intake sniffs the type from the first bytes.
    return jpeg_bytes(seed=2040) + bytes(range(256)) * 4000


def test_upload_interrupted_at_60_percent_resumes_and_is_taken_in_with_its_sha256(api, intake_worker, case, content):
    incident = IncidentFactory(case=case, reference="INC-7")
    witness = WitnessFactory(case=case, pseudonym="W-7")
    api.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.objects.create(user=intake_worker)[1]}")
    created = create(api, case, content, incidents="INC-7", witness="W-7", description="North side")
    assert created.status_code == 201, created.content
    assert created["Tus-Resumable"] == "1.0.0" and created["Upload-Expires"]
    location = created["Location"]
    assert where(api, location) == 0

    sixty = len(content) * 60 // 100
    first, second = sixty // 2, sixty
    assert send(api, location, content[:first], 0).status_code == 204
    answer = send(api, location, content[first:second], first)
    assert answer.status_code == 204 and int(answer["Upload-Offset"]) == sixty

    # The connection drops; the client reconnects and asks where the upload stands.
    assert where(api, location) == sixty
    assert MediaItem.objects.count() == 0
    last = send(api, location, content[sixty:], sixty)
    assert last.status_code == 204 and int(last["Upload-Offset"]) == len(content)

    item = MediaItem.objects.get()
    assert item.sha256 == hashlib.sha256(content).hexdigest()
    assert item.size_bytes == len(content)
    assert item.exhibit_number == "CW-0042-000001"
    assert item.original.read() == content
    assert (item.description, item.witness, list(item.incidents.all())) == ("North side", witness, [incident])
    assert item.arrivals.get().original_filename == "IMG_2040.jpg"
    assert CustodyEvent.objects.filter(object_id=str(item.pk), action=CustodyAction.RECEIVED).count() == 1
    state = api.get(location).json()
    assert state["complete"] and state["created"] and state["item"]["sha256"] == item.sha256
    assert state["item"]["exhibit_number"] == "CW-0042-000001"
    # The partial file became the stored original: nothing of it is left in the incoming area.
    assert not list(resumable_dir().glob("*.part"))


def test_a_dropped_connection_keeps_the_bytes_that_arrived(intake_worker, case, content):
    upload = resumable.upload_create(
        case_id=case.pk, user_id=intake_worker.pk, length=len(content), filename="a.jpg", details={}
    )
    sixty = len(content) * 60 // 100
    # The client declared the whole rest, but the link died after 60%.
    with upload.locked():
        assert upload.append(io.BytesIO(content[:sixty]), offset=0, content_length=len(content)) == sixty
    assert upload_find(upload.token).offset == sixty


def test_resuming_in_another_process_continues_the_saved_hash_and_reads_nothing_again(
    api, intake_worker, case, content
):
    api.force_authenticate(intake_worker)
    location = create(api, case, content)["Location"]
    sixty = len(content) * 60 // 100
    send(api, location, content[:sixty], 0)
    assert len(list(resumable_dir().glob("*.sha256"))) == 1  # the running hash's state, beside the upload
    resumable._running.clear()  # as if the server restarted, or another worker took the next request
    before = resumable.rehashed_bytes
    assert send(api, location, content[sixty:], sixty).status_code == 204
    assert resumable.rehashed_bytes == before
    item = MediaItem.objects.get()
    assert item.sha256 == hashlib.sha256(content).hexdigest() and item.original.read() == content
    assert not list(resumable_dir().glob("*.sha256"))  # gone with the partial file once the item exists


def test_pieces_spread_over_worker_processes_are_each_hashed_once(api, intake_worker, case, content):
    api.force_authenticate(intake_worker)
    location = create(api, case, content)["Location"]
    before = resumable.rehashed_bytes
    for start in range(0, len(content), 100_000):
        if start:
            resumable._running.clear()  # each piece reaches another worker process than the one before
        assert send(api, location, content[start : start + 100_000], start).status_code == 204
    assert resumable.rehashed_bytes == before
    item = MediaItem.objects.get()
    assert item.sha256 == hashlib.sha256(content).hexdigest() and item.original.read() == content


def saved_hash_path():
    (path,) = resumable_dir().glob("*.sha256")
    return path


def damage_lost(path):
    path.unlink()


def damage_truncated(path):
    path.write_bytes(path.read_bytes()[:50])


def damage_garbled(path):
    """A bit flipped in the hash state itself: the size and the byte count are still right."""
    saved = bytearray(path.read_bytes())
    saved[20] ^= 0x01
    path.write_bytes(bytes(saved))


def damage_from_another_upload(path):
    """The state file of another upload that has stored as many bytes (its token differs)."""
    path.rename(path.with_name("0" * 32 + ".sha256"))
    other = resumable.PartialUpload.__new__(resumable.PartialUpload)
    other.token = "f" * 43
    record = path.with_name("0" * 32 + ".sha256").read_bytes()[: -resumable.SAVED_HASH_SEAL_BYTES]
    path.with_name("0" * 32 + ".sha256").unlink()
    path.write_bytes(record + other._seal(record))


@pytest.mark.parametrize("damage", [damage_lost, damage_truncated, damage_garbled, damage_from_another_upload])
def test_without_a_usable_saved_hash_the_completion_reads_the_file_once(api, intake_worker, case, content, damage):
    api.force_authenticate(intake_worker)
    location = create(api, case, content)["Location"]
    sixty = len(content) * 60 // 100
    send(api, location, content[:sixty], 0)
    resumable._running.clear()
    damage(saved_hash_path())
    before = resumable.rehashed_bytes
    assert send(api, location, content[sixty:], sixty).status_code == 204
    assert resumable.rehashed_bytes - before == len(content)
    assert MediaItem.objects.get().sha256 == hashlib.sha256(content).hexdigest()


def test_a_saved_hash_behind_the_stored_bytes_is_not_used(api, intake_worker, case, content):
    """A state from an earlier piece (the write of the later one's state was lost) counts fewer bytes than the
    file holds: continuing from it would leave bytes out of the hash."""
    api.force_authenticate(intake_worker)
    location = create(api, case, content)["Location"]
    third = len(content) // 3
    send(api, location, content[:third], 0)
    earlier = saved_hash_path().read_bytes()
    send(api, location, content[third : 2 * third], third)
    saved_hash_path().write_bytes(earlier)
    resumable._running.clear()
    before = resumable.rehashed_bytes
    assert send(api, location, content[2 * third :], 2 * third).status_code == 204
    assert resumable.rehashed_bytes - before == len(content)
    assert MediaItem.objects.get().sha256 == hashlib.sha256(content).hexdigest()


def test_a_saved_hash_ahead_of_the_stored_bytes_is_not_used(api, intake_worker, case, content):
    """A crash took back bytes the state had counted: the client is told the shorter offset and sends them
    again; the hash is then taken from the file, never from the state."""
    api.force_authenticate(intake_worker)
    location = create(api, case, content)["Location"]
    half = len(content) // 2
    send(api, location, content[:half], 0)
    (part,) = resumable_dir().glob("*.part")
    with open(part, "r+b") as stored:
        stored.truncate(half - 5000)
    resumable._running.clear()
    assert where(api, location) == half - 5000
    before = resumable.rehashed_bytes
    assert send(api, location, content[half - 5000 :], half - 5000).status_code == 204
    assert resumable.rehashed_bytes - before == len(content)
    assert MediaItem.objects.get().sha256 == hashlib.sha256(content).hexdigest()


def test_without_libcrypto_the_hash_is_kept_in_memory_and_a_restart_rereads(
    api, intake_worker, case, content, monkeypatch
):
    monkeypatch.setattr(resumable, "saveable_sha256", lambda state=None: None)
    api.force_authenticate(intake_worker)
    location = create(api, case, content)["Location"]
    sixty = len(content) * 60 // 100
    send(api, location, content[:sixty], 0)
    assert not list(resumable_dir().glob("*.sha256"))
    resumable._running.clear()
    before = resumable.rehashed_bytes
    assert send(api, location, content[sixty:], sixty).status_code == 204
    assert resumable.rehashed_bytes - before == len(content)
    assert MediaItem.objects.get().sha256 == hashlib.sha256(content).hexdigest()


def test_in_one_process_no_byte_is_read_twice(api, intake_worker, case, content):
    api.force_authenticate(intake_worker)
    location = create(api, case, content)["Location"]
    before = resumable.rehashed_bytes
    for start in range(0, len(content), 100_000):
        assert send(api, location, content[start : start + 100_000], start).status_code == 204
    assert resumable.rehashed_bytes == before
    assert MediaItem.objects.get().sha256 == hashlib.sha256(content).hexdigest()


def test_wrong_offset_is_409_with_the_real_offset_and_changes_nothing(api, intake_worker, case, content):
    api.force_authenticate(intake_worker)
    location = create(api, case, content)["Location"]
    send(api, location, content[:1000], 0)
    for wrong in (0, 500, 2000):
        answer = send(api, location, content[wrong : wrong + 100], wrong)
        assert answer.status_code == 409
        assert answer["Upload-Offset"] == "1000"
    assert where(api, location) == 1000


def test_a_second_writer_at_the_same_time_is_told_to_wait(api, intake_worker, case, content):
    api.force_authenticate(intake_worker)
    location = create(api, case, content)["Location"]
    with upload_find(location.rstrip("/").rsplit("/", 1)[1]).locked():
        assert send(api, location, content[:1000], 0).status_code == 423
    assert where(api, location) == 0


def test_another_person_gets_404_for_every_method(api, intake_worker, case, content):
    api.force_authenticate(intake_worker)
    location = create(api, case, content)["Location"]
    send(api, location, content[:1000], 0)
    colleague = UserFactory(username="second_intake")
    MembershipFactory(case=case, user=colleague, role="intake")
    api.force_authenticate(colleague)
    assert api.head(location, **TUS).status_code == 404
    assert api.get(location).status_code == 404
    assert send(api, location, content[1000:2000], 1000).status_code == 404
    assert api.delete(location, **TUS).status_code == 404
    api.force_authenticate(intake_worker)
    assert where(api, location) == 1000


def test_the_upload_belongs_to_its_case(api, intake_worker, case, other_case, content):
    MembershipFactory(case=other_case, user=intake_worker, role="intake")
    api.force_authenticate(intake_worker)
    location = create(api, case, content)["Location"]
    elsewhere = location.replace(case.reference, other_case.reference)
    assert api.head(elsewhere, **TUS).status_code == 404


def test_losing_the_role_before_the_last_piece_stores_nothing(api, intake_worker, case, content):
    api.force_authenticate(intake_worker)
    location = create(api, case, content)["Location"]
    send(api, location, content[:1000], 0)
    Membership.objects.filter(user=intake_worker, case=case).update(role="analyst")
    assert send(api, location, content[1000:], 1000).status_code == 403
    assert MediaItem.objects.count() == 0


def test_over_the_size_limit_is_413(api, intake_worker, case, content):
    api.force_authenticate(intake_worker)
    with override_settings(CASEWORK_MAX_UPLOAD_BYTES=1000):
        answer = create(api, case, content)
        assert answer.status_code == 413
        assert "limit of 1000 bytes" in answer.json()["detail"]
    assert not list(resumable_dir().glob("*.json"))
    # More bytes than the upload declared: refused too, and the stored ones are kept.
    location = create(api, case, content, length=2000)["Location"]
    assert send(api, location, content[:3000], 0).status_code == 413
    assert where(api, location) == 0


def test_expired_upload_is_removed(api, intake_worker, case, content):
    api.force_authenticate(intake_worker)
    location = create(api, case, content)["Location"]
    send(api, location, content[:1000], 0)
    assert uploads_remove_expired() == 0
    assert uploads_remove_expired(now=timezone.now() + timedelta(hours=25)) == 1
    assert list(resumable_dir().iterdir()) == []
    assert api.head(location, **TUS).status_code == 404
    assert uploads_remove_expired_task() == 0  # the worker's sweep, safe to run again


def test_an_expired_upload_is_gone_even_before_the_sweep(api, intake_worker, case, content):
    api.force_authenticate(intake_worker)
    with override_settings(CASEWORK_RESUMABLE_UPLOAD_HOURS=0):
        location = create(api, case, content)["Location"]
        assert api.head(location, **TUS).status_code == 404
    assert list(resumable_dir().glob("*.json")) == []


def test_termination_removes_the_partial_file(api, intake_worker, case, content):
    api.force_authenticate(intake_worker)
    location = create(api, case, content)["Location"]
    send(api, location, content[:1000], 0)
    assert api.delete(location, **TUS).status_code == 204
    assert list(resumable_dir().iterdir()) == []
    assert api.head(location, **TUS).status_code == 404


def test_protocol_errors(api, intake_worker, case, content):
    api.force_authenticate(intake_worker)
    no_version = api.generic("POST", f"/api/cases/{case.reference}/uploads/", HTTP_UPLOAD_LENGTH="10")
    assert no_version.status_code == 412 and no_version["Tus-Version"] == "1.0.0"
    location = create(api, case, content)["Location"]
    wrong_type = api.generic("PATCH", location, data=b"x", content_type="application/octet-stream",
                             HTTP_UPLOAD_OFFSET="0", **TUS)  # fmt: skip
    assert wrong_type.status_code == 415
    options = api.options(f"/api/cases/{case.reference}/uploads/")
    assert "creation" in options["Tus-Extension"] and "termination" in options["Tus-Extension"]


def test_details_are_checked_before_any_byte_is_sent(api, intake_worker, case, content):
    api.force_authenticate(intake_worker)
    answer = create(api, case, content, incidents="INC-404")
    assert answer.status_code == 400
    assert answer.json() == {"incidents": ["No such incident in this case: INC-404"]}
    assert create(api, case, content, source="social_media").json()["source_url"]
    assert create(api, case, b"").status_code == 400
    assert not list(resumable_dir().glob("*.json"))


def test_a_refused_file_is_a_clear_error_and_the_upload_is_removed(api, intake_worker, case):
    api.force_authenticate(intake_worker)
    page = b"<html><script>x</script></html>"
    location = create(api, case, page, filename="x.html")["Location"]
    answer = send(api, location, page, 0)
    assert answer.status_code == 400
    assert "text/html are not accepted" in answer.json()["file"][0]
    assert MediaItem.objects.count() == 0
    assert list(resumable_dir().iterdir()) == []


def test_the_same_file_again_links_the_existing_item(api, intake_worker, case, content):
    api.force_authenticate(intake_worker)
    for _attempt in range(2):
        location = create(api, case, content)["Location"]
        assert send(api, location, content, 0).status_code == 204
    assert MediaItem.objects.count() == 1
    assert api.get(location).json()["created"] is False


def test_the_file_name_is_not_stored_in_clear(api, intake_worker, case, content):
    api.force_authenticate(intake_worker)
    create(api, case, content, filename="Amal_Khalil_video.jpg")
    (state,) = resumable_dir().glob("*.json")
    assert "Amal_Khalil" not in state.read_text()


def test_the_upload_page_offers_the_resumable_client(client, intake_worker, case):
    client.force_login(intake_worker)
    page = client.get(f"/cases/{case.reference}/media/").content.decode()
    assert f'data-resumable-url="/api/cases/{case.reference}/uploads/"' in page
    assert "web/resumable.js" in page


def test_the_resumable_client_speaks_arabic(client, intake_worker, case):
    client.force_login(intake_worker)
    client.post(reverse("set_language"), {"language": "ar", "next": "/"})
    page = client.get(f"/cases/{case.reference}/media/").content.decode()
    assert 'dir="rtl"' in page
    assert 'data-sending="يُرسَل {name}…"' in page
    assert 'data-resuming="انقطع الاتصال؛ يُتابَع الرفع من حيث توقّف…"' in page
