"""Picking records by typing, in real headless Chromium, in English and Arabic: on the new-testimony form of a
case with many incidents, a researcher types part of a title, picks the incident from the suggestions with the
keyboard or the mouse, picks the witness by pseudonym, and saves; the page never lists the case's incidents and
runs under the Content-Security-Policy without a violation."""

import pytest
from playwright.sync_api import expect

from casework.witnesses.models import Testimony
from tests.browser.test_media_and_records_journeys import RECORD_VIOLATIONS, choose_language
from tests.factories import CaseFactory, IncidentFactory, MembershipFactory, UserFactory, WitnessFactory
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_incident_is_picked_by_typing_in_english_and_arabic(page, live_server, vocabularies, screenshot_dir):
    case = CaseFactory(reference="CW-0077", title="Airstrikes on Idlib, September 2017")
    MembershipFactory(case=case, user=UserFactory(username="researcher"), role="intake")
    for number in range(60):
        IncidentFactory(case=case, reference=f"INC-{number:04d}", title=f"Shelling of a village, {number}")
    market = IncidentFactory(case=case, reference="INC-7001", title="Airstrike on the Maarat al-Numan market")
    WitnessFactory(case=case, pseudonym="W-Sparrow", real_name="Canary Browser Name")
    page.add_init_script(RECORD_VIOLATIONS)
    base = live_server.url
    sign_in(page, base, "researcher")
    for language, words in (("en", "Maarat"), ("ar", "numan")):
        choose_language(page, base, language)
        page.goto(f"{base}/cases/{case.reference}/testimonies/new/")
        assert "INC-0001" not in page.content(), "the form does not list the case's incidents"

        page.fill("#id_witness", "spar")
        option = page.get_by_role("option", name="W-Sparrow")
        expect(option).to_be_visible()
        page.press("#id_witness", "ArrowDown")
        page.press("#id_witness", "Enter")
        expect(page.locator('input[name="witness"]:checked')).to_have_count(1)

        page.locator("#id_incidents").press_sequentially(words, delay=30)
        option = page.get_by_role("option", name="INC-7001 — Airstrike on the Maarat al-Numan market")
        expect(option).to_be_visible()
        expect(page.locator(".picker-results [role=option]")).to_have_count(1)
        page.screenshot(path=str(screenshot_dir / f"picker-{language}.png"), full_page=True)
        option.click()
        expect(page.locator(f'input[name="incidents"][value="{market.pk}"]')).to_be_checked()
        expect(page.locator(".picker-results [role=option]")).to_have_count(0)
        assert "Canary Browser Name" not in page.content()

        page.fill("#id_interview_date", "2017-10-04")
        page.select_option("#id_method", "in_person")
        page.select_option("#id_language", "ar")
        page.fill("#id_original_text", "سقطت القنابل على السوق")
        page.locator("form.record-form button[type=submit]").last.click()
        page.wait_for_load_state()
        testimony = Testimony.objects.order_by("-pk").first()
        assert testimony is not None and list(testimony.incidents.all()) == [market], language
        assert testimony.witness.pseudonym == "W-Sparrow"
        assert page.evaluate("window.cspViolations") == [], page.url
    assert Testimony.objects.count() == 2
