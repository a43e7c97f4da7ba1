"""The case search in real headless Chromium: a search with a spelling variant, its highlighted hits, saved
and re-run by a colleague, in English and Arabic."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from casework.incidents.models import Governorate, IncidentType
from casework.incidents.services import incident_write
from casework.witnesses import services as witness_services
from tests.factories import CaseFactory, MembershipFactory, UserFactory
from tests.helpers import sign_in, sign_out

pytestmark = pytest.mark.django_db(transaction=True)


def test_search_save_and_rerun_in_english_and_arabic(page, live_server, vocabularies, screenshot_dir):
    case = CaseFactory(reference="CW-0042", title="Airstrikes on Idlib")
    researcher = UserFactory(username="researcher")
    MembershipFactory(case=case, user=researcher, role="intake")
    MembershipFactory(case=case, user=UserFactory(username="colleague"), role="analyst")
    incident = incident_write(
        case=case,
        actor=researcher,
        values={
            "reference": "INC-1",
            "title": "Airstrike on the market entrance",
            "start_time": timezone.now() - dt.timedelta(days=5),
            "governorate": Governorate.objects.get(code="idlib", case=None),
            "incident_type": IncidentType.objects.get(code="airstrike", case=None),
        },
    )
    witness = witness_services.witness_write(
        case=case, actor=researcher, values={"pseudonym": "W-001", "relationship": "eyewitness", "real_name": "Amal"}
    )
    witness_services.testimony_write(
        case=case,
        actor=researcher,
        values={
            "witness": witness,
            "interview_date": dt.date(2024, 5, 1),
            "method": "phone",
            "language": "ar",
            "original_text": "رأيتُ الطائرة فوق السوق ثم سقط الصاروخ.",
        },
        incidents=[incident],
    )
    base = live_server.url

    sign_in(page, base, "researcher")
    page.goto(f"{base}/cases/CW-0042/")
    page.click("nav.case-nav >> text=Search")
    # Typed with ha for ta marbuta and without the vowel mark: still found, and marked.
    page.fill("#id_q", "الطائره")
    page.click("form.search-form button[type=submit]")
    hits = page.locator("ol.search-results")
    expect(hits.locator("mark")).to_have_text(["الطائرة"])
    expect(hits).to_contain_text("W-001")
    expect(hits).not_to_contain_text("Amal")
    page.fill("#id_q", "entrances")
    page.click("form.search-form button[type=submit]")
    expect(hits).to_contain_text("INC-1: Airstrike on the market entrance")
    expect(hits.locator("mark")).to_have_text(["entrance"])
    page.fill("#id_name", "Market entrance")
    page.click("form.save-search button[type=submit]")
    expect(page.locator("table.saved-searches")).to_contain_text("Market entrance")
    page.screenshot(path=str(screenshot_dir / "search-en.png"), full_page=True)
    sign_out(page)

    sign_in(page, base, "colleague")
    page.goto(f"{base}/cases/CW-0042/search/")
    page.select_option("#language-select", "ar")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", name="البحث في القضية")).to_be_visible()
    page.click("table.saved-searches >> text=Market entrance")
    expect(page.locator("ol.search-results")).to_contain_text("INC-1")
    page.fill("#id_q", "السوق")
    page.click("form.search-form button[type=submit]")
    expect(page.locator("ol.search-results mark").first).to_have_text("السوق")
    page.screenshot(path=str(screenshot_dir / "search-ar.png"), full_page=True)
