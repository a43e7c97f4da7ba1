"""Capturing an online source in real headless Chromium, with a real worker: paste an address, watch the
progress, open the capture and see its screenshot; the same page in Arabic."""

import pytest
from playwright.sync_api import expect

from casework.captures.models import Capture
from tests.browser.test_media_and_records_journeys import choose_language
from tests.captures.sources import source_files, web  # noqa: F401 (fixtures)
from tests.factories import CaseFactory, IncidentFactory, MembershipFactory, UserFactory
from tests.helpers import sign_in

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_paste_an_address_see_progress_and_open_the_capture(
    page,
    live_server,
    celery_worker_process,
    vocabularies,
    screenshot_dir,
    web,  # noqa: F811
):
    case = CaseFactory(reference="CW-0042", title="Airstrikes on Idlib, September 2017")
    MembershipFactory(case=case, user=UserFactory(username="researcher"), role="intake")
    IncidentFactory(case=case, reference="INC-501", title="Shelling of the market")
    base = live_server.url
    sign_in(page, base, "researcher")
    page.goto(f"{base}/cases/{case.reference}/")
    page.click("nav.case-nav >> text=Captures")
    page.fill("#id_urls", f"{web.base}/page")
    page.locator("#id_note").fill("Posted by a local activist channel")
    page.click("#capture-form button[type=submit]")
    expect(page.get_by_text("1 address queued for capture")).to_be_visible()
    row = page.locator("#captures tbody tr").first
    expect(row).to_contain_text(f"{web.base}/page")
    # The page refreshes itself while the capture runs; it ends captured.
    expect(row.locator(".state-done")).to_be_visible(timeout=90_000)
    page.screenshot(path=str(screenshot_dir / "captures-en.png"), full_page=True)

    row.locator("a").first.click()
    expect(page.locator("#capture-state")).to_contain_text("Captured")
    expect(page.locator("#artefacts")).to_contain_text("Web archive (WARC)")
    screenshot = page.locator("#capture-screenshot")
    expect(screenshot).to_be_visible()
    # Visible is not loaded: wait for the image itself (a broken one completes with no width and fails here).
    page.wait_for_function(
        "() => { const image = document.getElementById('capture-screenshot'); return image.complete; }"
    )
    assert page.evaluate("document.getElementById('capture-screenshot').naturalWidth") > 0
    capture = Capture.objects.get()
    assert capture.media_item is not None
    expect(page.get_by_text(capture.media_item.exhibit_number)).to_be_visible()

    choose_language(page, base, "ar")
    page.goto(f"{base}/cases/{case.reference}/captures/{capture.pk}/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    expect(page.locator("#capture-screenshot")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "capture-ar.png"), full_page=True)
