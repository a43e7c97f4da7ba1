"""The main staff journeys in real headless Chromium, with a real worker, in English and Arabic."""

from datetime import datetime

import pytest
from playwright.sync_api import expect

from casework.evidence.models import MediaItem
from casework.evidence.samples import jpeg_bytes
from casework.incidents.models import Incident
from casework.witnesses.models import Testimony, Witness
from tests.factories import CaseFactory, MembershipFactory, UserFactory
from tests.helpers import sign_in, sign_out

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_record_upload_review_journey(page, live_server, celery_worker_process, vocabularies, screenshot_dir, tmp_path):
    case = CaseFactory(reference="CW-0042", title="Airstrikes on Idlib, September 2017")
    MembershipFactory(case=case, user=UserFactory(username="researcher"), role="intake")
    MembershipFactory(case=case, user=UserFactory(username="checker"), role="reviewer")
    base = live_server.url

    sign_in(page, base, "researcher")
    page.click("text=CW-0042")
    page.click("text=New incident")

    # An incident with an attribution and two victims, rows added in the browser.
    page.fill("#id_reference", "INC-501")
    page.fill("#id_title", "Airstrike on the Ariha vegetable market")
    page.fill("#id_start_time", "2017-09-19T10:40")
    page.select_option("#id_governorate", label="Idlib")
    page.select_option("#id_incident_type", label="Airstrike")
    page.check("label:has-text('Cluster munition') input")
    page.click("text=Add an attribution")
    page.select_option("[name=attributions-0-party]", label="Russian forces")
    page.select_option("[name=attributions-0-confidence]", "likely")
    page.fill("[name=attributions-0-basis]", "Observers tracked the aircraft from the airbase.")
    page.click("text=Add a victim")
    page.click("text=Add a victim")
    for index, (name, sex, age, band) in enumerate([("Huda", "female", "31", "adult"), ("Omar", "male", "9", "child")]):
        page.fill(f"[name=victims-{index}-name]", name)
        page.select_option(f"[name=victims-{index}-sex]", sex)
        page.fill(f"[name=victims-{index}-age]", age)
        page.select_option(f"[name=victims-{index}-age_band]", band)
        page.select_option(f"[name=victims-{index}-status]", "killed")
    page.click("form.record-form button[type=submit]")
    expect(page.get_by_text("Incident INC-501 saved.")).to_be_visible()
    expect(page.locator("table.data.victims")).to_contain_text("Omar")
    incident = Incident.objects.get(reference="INC-501")
    assert incident.victims.count() == 2 and incident.attributions.count() == 1

    # A witness (identity entered once, never shown) and a testimony in Arabic, submitted for review.
    page.click("nav.case-nav >> text=Witnesses")
    page.click("text=New witness")
    page.fill("#id_pseudonym", "W-501")
    page.select_option("#id_relationship", "eyewitness")
    page.fill("#id_real_name", "Browser Canary Name")
    page.click("form.record-form button[type=submit]")
    expect(page.get_by_role("heading", name="Witness W-501")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Browser Canary Name")
    page.click("nav.case-nav >> text=Testimonies")
    page.click("text=New testimony")
    page.fill("#id_witness", "W-501")  # the pickers search as one types
    page.get_by_role("option", name="W-501").click()
    page.locator("#id_incidents").press_sequentially("INC-501", delay=30)
    page.locator(".picker-results [role=option]", has_text="INC-501").click()
    page.fill("#id_interview_date", "2017-10-04")
    page.select_option("#id_method", "messaging_app")
    page.select_option("#id_language", "ar")
    page.fill("#id_original_text", "كنت في السوق عندما سقطت القنابل العنقودية على البسطات.")
    page.click("form.record-form button[type=submit]")
    expect(page.locator("blockquote.testimony-text")).to_contain_text("القنابل العنقودية")
    page.click("text=Submit for review")
    expect(page.get_by_text("Submitted for review.")).to_be_visible()

    # A photo: the worker extracts its capture time and position, and the page shows them when done.
    photo = tmp_path / "IMG_0501.jpg"
    photo.write_bytes(
        jpeg_bytes(
            seed=501,
            capture_time=datetime(2017, 9, 19, 10, 45),
            utc_offset="+03:00",
            latitude=35.8142,
            longitude=36.6082,
            make="Samsung",
            model="SM-J500F",
        )
    )
    page.click("nav.case-nav >> text=Media")
    page.set_input_files("#id_files", str(photo))
    page.select_option("#id_source", "activist_message")
    page.fill("#id_incidents", "INC-501")  # typed, not picked: the reference is sent as it is
    page.click("#media-upload-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("Received and stored")
    page.click("table.data a >> nth=0")
    expect(page.locator("#processing-state")).to_have_text("Processed", timeout=60_000)
    expect(page.locator("dl.facts")).to_contain_text("35.8142, 36.6082")
    expect(page.locator("dl.facts")).to_contain_text("Samsung SM-J500F")
    expect(page.locator("dl.facts")).to_contain_text("19 September 2017, 07:45 UTC")
    sign_out(page)

    # The reviewer verifies the testimony and rejects the photo with a reason.
    sign_in(page, base, "checker")
    page.goto(f"{base}/cases/CW-0042/review/")
    page.click("text=W-501")
    page.click("button[value=verify]")
    expect(page.get_by_text("Review recorded.")).to_be_visible()
    assert Testimony.objects.get().status == "verified"
    page.goto(f"{base}/media/{MediaItem.objects.get().pk}/")
    page.fill("#review-notes", "Shadows do not match the reported time of the strike.")
    page.click("button[value=reject]")
    expect(page.locator("dl.facts")).to_contain_text("Rejected")
    expect(page.locator("dl.facts")).to_contain_text("Shadows do not match the reported time of the strike.")
    assert Witness.objects.get().real_name == "Browser Canary Name"

    # Screenshots of the main pages in English and Arabic.
    pages = {
        "home": "/",
        "incidents": "/cases/CW-0042/",
        "incident": f"/cases/CW-0042/incidents/{incident.pk}/",
        "testimony": f"/cases/CW-0042/testimonies/{Testimony.objects.get().pk}/",
        "media": f"/media/{MediaItem.objects.get().pk}/",
        # review-queue-*.png, with assignments, comes from test_team_and_work_journeys.py.
        "review-queue-unassigned": "/cases/CW-0042/review/",
    }
    for language in ("en", "ar"):
        page.goto(f"{base}/")
        page.select_option("#language-select", language)
        page.wait_for_load_state()
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
        for name, path in pages.items():
            page.goto(f"{base}{path}")
            page.screenshot(path=str(screenshot_dir / f"{name}-{language}.png"), full_page=True)
    expect(page.locator("nav.case-nav")).to_contain_text("قائمة المراجعة")


def test_form_error_in_the_browser_keeps_the_rows_typed(page, live_server, vocabularies):
    case = CaseFactory(reference="CW-0043")
    MembershipFactory(case=case, user=UserFactory(username="researcher2"), role="intake")
    sign_in(page, live_server.url, "researcher2")
    page.goto(f"{live_server.url}/cases/CW-0043/incidents/new/")
    page.fill("#id_title", "Shelling near the school")
    page.click("text=Add a victim")
    page.fill("[name=victims-0-name]", "Rana")
    page.fill("[name=victims-0-age]", "17")
    page.select_option("[name=victims-0-age_band]", "adult")
    page.select_option("[name=victims-0-status]", "killed")
    page.click("form.record-form button[type=submit]")
    expect(page.locator(".has-error").first).to_be_visible()
    expect(page.locator("#id_title")).to_have_value("Shelling near the school")
    expect(page.locator("[name=victims-0-name]")).to_have_value("Rana")
    expect(page.get_by_text("The age does not fit this age band", exact=False)).to_be_visible()
    assert not Incident.objects.exists()
