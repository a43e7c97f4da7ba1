"""RFC 3161 timestamps from a local authority: obtained, verified offline, a tampered one refused."""

import pytest

from casework.captures.timestamps import (
    TimestampFailed,
    load_certificates,
    timestamp_obtain,
    timestamp_statement,
    timestamp_verify,
)
from tests.captures.tsa import tsa  # noqa: F401 (fixture)


def test_a_token_is_obtained_and_verifies_against_the_authority_root(tsa):  # noqa: F811
    statement = timestamp_statement(manifest_sha256="a" * 64, custody_head="b" * 64)
    token, when = timestamp_obtain(data=statement, url=tsa.url)
    roots = load_certificates(tsa.ca_file.read_bytes())
    assert timestamp_verify(token=token, data=statement, roots=roots) == when


def test_a_token_for_other_data_or_with_a_changed_byte_or_another_root_is_refused(tsa, tmp_path):  # noqa: F811
    statement = timestamp_statement(manifest_sha256="a" * 64, custody_head="b" * 64)
    token, _when = timestamp_obtain(data=statement, url=tsa.url)
    roots = load_certificates(tsa.ca_file.read_bytes())
    other = timestamp_statement(manifest_sha256="c" * 64, custody_head="b" * 64)
    with pytest.raises(TimestampFailed):
        timestamp_verify(token=token, data=other, roots=roots)
    # A byte changed in the signed part (the time, or the certificate it carries) breaks the signature.
    position = token.rindex(b"Z") - 3
    tampered = token[:position] + bytes([token[position] ^ 1]) + token[position + 1 :]
    with pytest.raises(TimestampFailed):
        timestamp_verify(token=tampered, data=statement, roots=roots)
    from tests.captures.tsa import make_authority

    (tmp_path / "other").mkdir()
    make_authority(tmp_path / "other")
    with pytest.raises(TimestampFailed):
        timestamp_verify(token=token, data=statement, roots=load_certificates((tmp_path / "other/ca.crt").read_bytes()))


def test_an_unreachable_authority_is_a_clear_failure():
    with pytest.raises(TimestampFailed, match="could not be reached"):
        timestamp_obtain(data=b"x", url="http://127.0.0.1:9/tsa", timeout=2)


@pytest.mark.django_db
def test_a_capture_is_timestamped_and_its_token_verifies(case, intake_worker, web, tsa, settings, client):  # noqa: F811
    from django.core.files.storage import default_storage
    from django.urls import reverse

    from casework.captures.services import capture_request, capture_run
    from casework.evidence.models import CustodyEvent

    settings.CASEWORK_TSA_URL = tsa.url
    settings.CASEWORK_TSA_CA_FILE = str(tsa.ca_file)
    [capture] = capture_request(case=case, urls=f"{web.base}/photo.jpg", actor=intake_worker)
    capture_run(capture_id=capture.pk)
    capture.refresh_from_db()
    token = default_storage.open(capture.artefacts.get(kind="timestamp").file.name).read()
    statement = capture.timestamp_statement.encode()
    head = CustodyEvent.objects.get(object_type="captures.capture", object_id=str(capture.pk)).event_hash
    assert capture.manifest_sha256 in capture.timestamp_statement and head in capture.timestamp_statement
    roots = load_certificates(tsa.ca_file.read_bytes())
    assert timestamp_verify(token=token, data=statement, roots=roots) == capture.timestamped_at
    client.force_login(intake_worker)
    page = client.get(reverse("captures:capture_detail", args=[case.reference, capture.pk])).content.decode()
    assert 'id="trusted-timestamp"' in page and "Trusted timestamp token (RFC 3161)" in page


@pytest.mark.django_db
def test_a_capture_whose_authority_fails_is_still_captured_and_says_why(case, intake_worker, web, settings):
    from casework.captures.services import capture_request, capture_run

    settings.CASEWORK_TSA_URL = "http://127.0.0.1:9/tsa"
    [capture] = capture_request(case=case, urls=f"{web.base}/photo.jpg", actor=intake_worker)
    capture_run(capture_id=capture.pk)
    capture.refresh_from_db()
    assert capture.state == "done" and capture.timestamped_at is None
    assert "could not be reached" in capture.timestamp_error
