"""Daily work in real headless Chromium, in English and Arabic: readable dates and numbers, history that says
what changed, bulk actions on media and testimonies, and forms that fit."""

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.factories import CaseFactory, IncidentFactory, MediaItemFactory, MembershipFactory, UserFactory
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

ARABIC_INDIC_DIGITS = re.compile("[\u0660-\u0669\u06f0-\u06f9]")


def choose_language(page, base: str, language: str) -> None:
    page.goto(f"{base}/")
    page.select_option("#language-select", language)
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")


def test_dates_times_and_coordinates_read_the_same_everywhere(page, live_server, vocabularies, screenshot_dir):
    case = CaseFactory(reference="CW-0042", title="Airstrikes on Idlib")
    lead = UserFactory(username="lead")
    MembershipFactory(case=case, user=lead, role="case_admin")
    december = IncidentFactory(
        case=case, reference="INC-701", title="Shelling of a bakery", start_time=datetime(2019, 12, 1, tzinfo=UTC),
        date_precision="unknown_day", latitude="35.810000", longitude="36.610000",
    )  # fmt: skip
    IncidentFactory(
        case=case, reference="INC-702", title="Strike on a school", start_time=datetime(2019, 1, 1, tzinfo=UTC),
        date_precision="unknown_month_day",
    )  # fmt: skip
    IncidentFactory(
        case=case, reference="INC-703", title="Market strike", start_time=datetime(2017, 9, 19, 12, 30, tzinfo=UTC),
        date_precision="estimate",
    )  # fmt: skip
    item = MediaItemFactory(
        case=case, acquired_by=lead, capture_time=datetime(2020, 1, 2, 3, 4, tzinfo=UTC),
        capture_time_zone_known=False, latitude="35.810000", longitude="36.610000",
    )  # fmt: skip
    base = live_server.url
    sign_in(page, base, "lead")
    expected = {
        "en": ("December 2019", "2019", "19 September 2017, about 12:30 UTC", "(time zone unknown)"),
        "ar": (
            "كانون الأول/ديسمبر 2019",
            "2019",
            "19 أيلول/سبتمبر 2017، حوالي الساعة 12:30 UTC",
            "(المنطقة الزمنية غير معروفة)",
        ),
    }
    for language, (month, year, about, zone_unknown) in expected.items():
        choose_language(page, base, language)
        page.goto(f"{base}/cases/CW-0042/incidents/")
        rows = page.locator("main table tbody")
        expect(rows.locator("tr", has_text="INC-701")).to_contain_text(month)
        expect(rows.locator("tr", has_text="INC-702")).to_contain_text(year)
        expect(rows.locator("tr", has_text="INC-703")).to_contain_text(about)
        assert not ARABIC_INDIC_DIGITS.search(page.locator("main").inner_text())
        page.screenshot(path=str(screenshot_dir / f"dates-{language}.png"), full_page=True)

        page.goto(f"{base}/cases/CW-0042/incidents/{december.pk}/")
        expect(page.locator("main")).to_contain_text(month)
        expect(page.locator("main")).to_contain_text("(35.81, 36.61)")
        page.goto(f"{base}/media/{item.pk}/")
        expect(page.locator("main")).to_contain_text(zone_unknown)
        expect(page.locator("main")).to_contain_text("35.81, 36.61")
        assert "35,81" not in page.locator("main").inner_text()
        assert not ARABIC_INDIC_DIGITS.search(page.locator("main").inner_text())
