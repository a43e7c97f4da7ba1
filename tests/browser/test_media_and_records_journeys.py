"""Recognisable media and connected records in real headless Chromium, with a real worker, in English and
Arabic: a photo and a video play in the page (the video through range requests), a graphic photo stays blurred
and unfetched until clicked, an incident shows its sources side by side, a victim has a page of their own."""

import io
import re
from datetime import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from casework.audit.models import AuditEvent
from casework.evidence.models import MediaItem
from casework.evidence.samples import extract_audio, jpeg_bytes, write_jpeg, write_video
from casework.evidence.services import media_ingest_path, media_ingest_stream, media_update
from casework.incidents.services import victim_mark_duplicate, victim_write
from tests.conftest import wait_for
from tests.factories import (
    CaseFactory,
    IncidentFactory,
    MembershipFactory,
    TestimonyFactory,
    UserFactory,
    WitnessFactory,
)
from tests.helpers import sign_in

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Runs before any script of each page: the browser reports every refused resource or inline code here.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def choose_language(page, base: str, language: str) -> None:
    page.goto(f"{base}/")
    page.select_option("#language-select", language)
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")


def all_processed(count: int) -> bool:
    return MediaItem.objects.filter(processing_state="done").count() == count


def test_photo_and_video_play_in_the_page_and_graphic_content_waits_for_a_click(
    page, live_server, celery_worker_process, vocabularies, screenshot_dir, tmp_path
):
    case = CaseFactory(reference="CW-0042", title="Airstrikes on Idlib, September 2017")
    MembershipFactory(case=case, user=UserFactory(username="lead"), role="case_admin")
    IncidentFactory(case=case, reference="INC-601", title="Strike on the Ariha vegetable market")
    base = live_server.url
    page.add_init_script(RECORD_VIOLATIONS)
    originals = []  # (path, status, Range header) of every answer of the view that serves originals
    page.on(
        "response",
        lambda response: (
            "/view/" in response.url
            and originals.append(
                (response.url.removeprefix(base), response.status, response.request.headers.get("range"))
            )
        ),
    )
    sign_in(page, base, "lead")

    # A photo and a short video (its index at the end, so the player asks for more than one part).
    photo = write_jpeg(tmp_path / "IMG_0601.jpg", seed=601, capture_time=datetime(2017, 9, 19, 10, 45))
    video = write_video(tmp_path / "VID_0601.mp4", seconds=3.0)
    page.goto(f"{base}/cases/CW-0042/media/")
    page.set_input_files("#id_files", [str(photo), str(video)])
    page.select_option("#id_source", "activist_message")
    page.locator("#id_incidents").press_sequentially("Ariha", delay=30)
    page.get_by_role("option", name="INC-601 — Strike on the Ariha vegetable market").click()
    page.fill("#id_description", "The market after the strike, seen from the north.")
    page.click("#media-upload-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("Received and stored")
    wait_for(lambda: all_processed(2), timeout=120, what="the worker to process both files")
    photo_item, video_item = MediaItem.objects.get(kind="photo"), MediaItem.objects.get(kind="video")
    assert (photo_item.exhibit_number, video_item.exhibit_number) == ("CW-0042-000001", "CW-0042-000002")

    # The list names each item: exhibit number, the file name it came with, its description and a thumbnail.
    page.goto(f"{base}/cases/CW-0042/media/")
    photo_row = page.locator("table.media-items tr", has_text="CW-0042-000001")
    expect(photo_row).to_contain_text("IMG_0601.jpg")
    expect(photo_row).to_contain_text("The market after the strike")
    expect(photo_row.locator("img")).to_have_attribute("src", f"/media/{photo_item.pk}/thumbnail/")

    # The photo's original shows in its page; a reviewer's warning then hides it until someone clicks.
    photo_page, photo_original = f"{base}/media/{photo_item.pk}/", f"/media/{photo_item.pk}/view/"
    page.goto(photo_page)
    expect(page.locator(".player img.original")).to_have_attribute("src", photo_original)
    page.wait_for_function("() => document.querySelector('.player img.original').naturalWidth > 0")
    page.click("text=Mark as graphic content")
    expect(page.locator(".player[data-graphic]")).to_be_visible()

    video_page, video_original = f"{base}/media/{video_item.pk}/", f"/media/{video_item.pk}/view/"
    for language in ("en", "ar"):
        choose_language(page, base, language)
        originals.clear()
        page.goto(photo_page)
        hidden = page.locator(".player[data-graphic] img")
        expect(hidden).to_have_class(re.compile(r"\bblurred\b"))
        expect(hidden).to_have_attribute("src", f"/media/{photo_item.pk}/thumbnail/")
        assert not [path for path, *_ in originals if path == photo_original], "fetched before the click"
        page.click(".player[data-graphic] button.reveal")
        expect(hidden).not_to_have_class(re.compile(r"\bblurred\b"))
        expect(hidden).to_have_attribute("src", photo_original)
        page.wait_for_function("() => document.querySelector('.player img').naturalWidth > 0")

        # The video plays in the page, fed by range requests answered 206.
        originals.clear()
        page.goto(video_page)
        player = page.locator(".player video")
        expect(player).to_have_attribute("src", video_original)
        player.evaluate("video => { video.muted = true; return video.play(); }")
        page.wait_for_function(
            "() => { const video = document.querySelector('.player video');"
            " return video.readyState >= 1 && video.currentTime > 0.3; }",
            timeout=30_000,
        )
        parts = [(status, asked) for path, status, asked in originals if path == video_original]
        assert parts and all(status == 206 for status, _asked in parts), parts
        assert parts[0][1].startswith("bytes=0-"), parts
        player.evaluate("video => video.pause()")
        assert page.evaluate("window.cspViolations") == [], page.url
        page.screenshot(path=str(screenshot_dir / f"media-detail-{language}.png"), full_page=True)
    expect(page.locator("h1")).to_contain_text("CW-0042-000002")

    # However many parts the player asked for, each original's view is recorded once for the person.
    for item in (photo_item, video_item):
        assert AuditEvent.objects.filter(action="original_viewed", object_id=str(item.pk)).count() == 1


def test_an_incident_shows_its_sources_and_a_victim_has_a_page(
    page, live_server, celery_worker_process, vocabularies, screenshot_dir, tmp_path
):
    case = CaseFactory(reference="CW-0042", title="Airstrikes on Idlib, September 2017")
    researcher = UserFactory(username="researcher")
    reviewer = UserFactory(username="checker")
    MembershipFactory(case=case, user=researcher, role="intake")
    MembershipFactory(case=case, user=reviewer, role="reviewer")
    MembershipFactory(case=case, user=UserFactory(username="analyst"), role="analyst")
    incident = IncidentFactory(case=case, reference="INC-602", title="Airstrike on the Ariha vegetable market")
    hospital = IncidentFactory(case=case, reference="INC-603", title="Deaths at the Ariha hospital")
    victim_write(
        actor=researcher,
        incident=incident,
        values={"name": "Huda", "sex": "female", "age": 31, "age_band": "adult", "status": "killed"},
    )
    omar = victim_write(
        actor=researcher,
        incident=incident,
        values={"name": "Omar", "sex": "male", "age": 9, "age_band": "child", "status": "injured"},
    )
    victim_write(actor=researcher, victim=omar, values={"status": "killed", "notes": "Died in hospital."})
    again = victim_write(
        actor=researcher,
        incident=hospital,
        values={"name": "عمر", "sex": "male", "age_band": "child", "status": "killed"},
    )
    victim_mark_duplicate(victim=again, same_as=omar, actor=reviewer)

    told, checked = WitnessFactory(case=case, pseudonym="W-601"), WitnessFactory(case=case, pseudonym="W-602")
    sender = WitnessFactory(case=case, pseudonym="W-603")
    submitted = TestimonyFactory(case=case, witness=told, interviewer=researcher, status="submitted")
    verified = TestimonyFactory(
        case=case, witness=checked, interviewer=researcher, status="verified", reviewed_by=reviewer,
        reviewed_at=timezone.now(),
    )  # fmt: skip
    for testimony in (submitted, verified):
        testimony.incidents.add(incident)

    def ingest(content: bytes, **fields) -> MediaItem:
        return media_ingest_stream(
            stream=io.BytesIO(content),
            case=case,
            original_filename="file",
            acquired_by=researcher,
            **fields,
        ).item

    ingest(jpeg_bytes(seed=611), source="witness", witness=sender, incidents=[incident])
    ingest(jpeg_bytes(seed=612), source="social_media", source_url="https://example.org/post/612", incidents=[incident])
    ingest(jpeg_bytes(seed=612), source="social_media", source_url="https://example.net/repost/9")
    interview = extract_audio(write_video(tmp_path / "interview.mp4", seconds=2.0), tmp_path / "interview.m4a")
    recording = media_ingest_path(path=interview, case=case, source="witness", witness=told, acquired_by=researcher)
    media_update(item=recording.item, actor=researcher, testimony=submitted)
    wait_for(lambda: all_processed(3), timeout=120, what="the worker to process the files")

    base = live_server.url
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, base, "analyst")
    for language in ("en", "ar"):
        choose_language(page, base, language)
        page.goto(f"{base}/cases/CW-0042/")
        page.click("a:has-text('INC-602')")
        sources = page.locator(".sources")
        expect(sources.locator("section[aria-labelledby=sources-testimonies] .count")).to_have_text("2")
        expect(sources.locator("section[aria-labelledby=sources-media] .count")).to_have_text("2")
        expect(sources.locator("section[aria-labelledby=sources-online] .count")).to_have_text("2")
        expect(sources.locator("section[aria-labelledby=sources-senders] .count")).to_have_text("1")
        expect(sources).to_contain_text("W-601")
        expect(sources).to_contain_text("W-603")
        expect(sources.locator("a.online-link").first).to_have_attribute("rel", "noopener noreferrer")
        expect(sources.locator(".thumbnails img")).to_have_count(2)
        if language == "ar":
            expect(page.locator("#sources")).to_have_text("المصادر")
        assert page.evaluate("window.cspViolations") == [], page.url
        page.screenshot(path=str(screenshot_dir / f"incident-sources-{language}.png"), full_page=True)

        # Omar's page: the incident, the record of the same person from the hospital, the revisions.
        page.click("table.victims a:has-text('Omar')")
        expect(page.locator("h2")).to_have_text("Omar")
        expect(page.locator(".victim-facts")).to_contain_text("INC-602")
        expect(page.locator(".victim-facts ul.duplicates")).to_contain_text("عمر")
        expect(page.locator("table.revisions tbody tr")).to_have_count(2)
        assert page.evaluate("window.cspViolations") == [], page.url
        page.screenshot(path=str(screenshot_dir / f"victim-{language}.png"), full_page=True)
        page.click(".victim-facts ul.duplicates a")
        expect(page.locator(".victim-facts")).to_contain_text("INC-603")
        page.click(".victim-facts a:has-text('Omar')")
        expect(page.locator("h2")).to_have_text("Omar")

        # The testimony told by W-601 links its incident and plays its recording.
        page.goto(f"{base}/cases/CW-0042/incidents/{incident.pk}/")
        page.click("section[aria-labelledby=sources-testimonies] a:has-text('W-601')")
        expect(page.locator("dl.facts")).to_contain_text("INC-602")
        audio = page.locator(".recordings audio")
        audio.evaluate("audio => { audio.muted = true; return audio.play(); }")
        page.wait_for_function("() => document.querySelector('.recordings audio').readyState >= 1", timeout=30_000)
        assert page.evaluate("window.cspViolations") == [], page.url
