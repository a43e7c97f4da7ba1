"""The case map in real headless Chromium, in English and Arabic: Leaflet and the Natural Earth borders from the
app's static files under the Content-Security-Policy, points that open their records, the filters, and a video
flagged as filmed far from its incident."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_content_security_policy import RECORD_VIOLATIONS, assert_no_violation
from tests.factories import CaseFactory, IncidentFactory, MediaItemFactory, MembershipFactory, UserFactory
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_map_of_a_case_in_english_and_arabic(page, live_server, vocabularies, screenshot_dir, settings):
    settings.CASEWORK_MAP_TILE_URL = ""
    page.add_init_script(RECORD_VIOLATIONS)
    page.console_refusals = []
    page.on("console", lambda m: "Content Security Policy" in m.text and page.console_refusals.append(m.text))
    case = CaseFactory(reference="CW-0042", title="Airstrikes on Idlib")
    analyst = UserFactory(username="mapper")
    MembershipFactory(case=case, user=analyst, role="analyst")
    market = IncidentFactory(
        case=case, reference="INC-MARKET", title="Strike on the market",
        latitude=Decimal("35.930600"), longitude=Decimal("36.633900"),
    )  # fmt: skip
    IncidentFactory(
        case=case, reference="INC-BAKERY", title="Strike on the bakery",
        latitude=Decimal("35.862000"), longitude=Decimal("36.804000"),
    )  # fmt: skip
    video = MediaItemFactory(
        case=case, kind="video", mime_type="video/mp4", acquired_by=analyst, capture_time=timezone.now(),
        latitude=Decimal("36.202100"), longitude=Decimal("37.134300"),
    )  # fmt: skip
    video.incidents.add(market)
    base = live_server.url

    sign_in(page, base, "mapper")
    page.click("text=CW-0042")
    page.click("nav.case-nav >> text=Map")
    expect(page.get_by_role("heading", name="Map", exact=True)).to_be_visible()
    expect(page.locator("#case-map[data-loaded=true]")).to_have_count(1)
    expect(page.locator("path.map-marker-incident")).to_have_count(2)
    expect(page.locator("path.map-marker-media")).to_have_count(1)
    # Without a tile server the borders come from the app: many country shapes under the points.
    expect(page.locator("#case-map[data-borders-loaded=true]")).to_have_count(1)
    assert page.locator(".leaflet-overlay-pane path").count() > 100
    expect(page.locator("#map-status")).to_have_text("Incidents: 2 · media: 1")
    far = page.locator("#map-points li.map-point-media")
    expect(far).to_contain_text(video.exhibit_number)
    expect(far.locator(".far")).to_contain_text("far from INC-MARKET (54.2 km)")
    assert_no_violation(page)
    page.screenshot(path=str(screenshot_dir / "map-en.png"), full_page=True)

    # The filters: only the media.
    page.select_option("#id_record_type", "media")
    page.click("form.filters button[type=submit]")
    expect(page.locator("#case-map[data-loaded=true]")).to_have_count(1)
    expect(page.locator("path.map-marker-incident")).to_have_count(0)
    expect(page.locator("path.map-marker-media")).to_have_count(1)
    expect(page.locator("#id_record_type")).to_have_value("media")

    # Clicking a point opens its record, which says how far it lies from its incident.
    page.locator("path.map-marker-media").click()
    expect(page).to_have_url(f"{base}/media/{video.pk}/")
    expect(page.locator(".far-from-incident")).to_contain_text("54.2 km from the location of incident INC-MARKET")

    # In Arabic: the page is right to left, the map itself stays left to right.
    page.select_option("#language-select", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.goto(f"{base}/cases/CW-0042/map/")
    expect(page.get_by_role("heading", name="الخريطة", exact=True)).to_be_visible()
    expect(page.locator("#case-map[data-loaded=true]")).to_have_count(1)
    expect(page.locator("#case-map")).to_have_attribute("dir", "ltr")
    expect(page.locator("path.map-marker-incident")).to_have_count(2)
    expect(page.locator("#map-status")).to_have_text("الحوادث: 2 · الوسائط: 1")
    expect(page.locator("#map-points li.map-point-media .far")).to_contain_text("بعيدة عن INC-MARKET")
    assert_no_violation(page)
    page.screenshot(path=str(screenshot_dir / "map-ar.png"), full_page=True)
    page.locator("path.map-marker-incident").first.click()
    expect(page).to_have_url(f"{base}/cases/CW-0042/incidents/{market.pk}/")
