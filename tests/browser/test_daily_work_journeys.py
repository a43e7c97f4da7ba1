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


def test_history_says_what_changed_and_never_who_the_witness_is(page, live_server, vocabularies, screenshot_dir):
    from casework.incidents.services import incident_write
    from casework.witnesses.services import witness_write

    case = CaseFactory(reference="CW-0042", title="Airstrikes on Idlib")
    lead = UserFactory(username="lead")
    MembershipFactory(case=case, user=lead, role="case_admin")
    incident = IncidentFactory(case=case, reference="INC-711", title="Strike on a market", date_precision="exact")
    incident_write(
        case=case, actor=lead, incident=incident, expected_version=incident.version,
        values={"title": "Strike on the Ariha market", "date_precision": "unknown_day"},
    )  # fmt: skip
    witness = witness_write(
        case=case, actor=lead, values={"pseudonym": "W-711", "relationship": "eyewitness", "real_name": "Fatima Sa'id"}
    )
    witness_write(
        case=case, actor=lead, witness=witness, expected_version=witness.version,
        values={"real_name": "Fatima Saeed", "risk_level": "critical"},
    )  # fmt: skip
    base = live_server.url
    sign_in(page, base, "lead")
    expected = {
        "en": ("Title", "Day unknown", "Identity changed", "Critical"),
        "ar": ("العنوان", "اليوم غير معروف", "تغيّرت الهوية", "حرج"),
    }
    for language, (title_label, day_unknown, identity_changed, critical) in expected.items():
        choose_language(page, base, language)
        page.goto(f"{base}/cases/CW-0042/incidents/{incident.pk}/")
        page.click("details.history summary")
        change = page.locator("details.history li[data-field=title]")
        expect(change).to_contain_text(title_label)
        expect(change.locator(".old")).to_have_text("Strike on a market")
        expect(change.locator(".new")).to_have_text("Strike on the Ariha market")
        expect(page.locator("details.history li[data-field=date_precision] .new")).to_have_text(day_unknown)
        page.locator("details.history").scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot_dir / f"history-{language}.png"), full_page=True)

        page.goto(f"{base}/cases/CW-0042/witnesses/{witness.pk}/")
        page.click("details.history summary")
        history = page.locator("details.history")
        expect(history).to_contain_text(identity_changed)
        expect(history.locator("li[data-field=risk_level] .new")).to_have_text(critical)
        assert "Fatima" not in page.content()


def test_bulk_actions_apply_item_by_item_and_list_refusals(page, live_server, vocabularies, screenshot_dir):
    from casework.evidence.models import MediaItem

    case = CaseFactory(reference="CW-0042", title="Airstrikes on Idlib")
    lead, field = UserFactory(username="lead"), UserFactory(username="field")
    MembershipFactory(case=case, user=lead, role="case_admin")
    MembershipFactory(case=case, user=field, role="intake")
    IncidentFactory(case=case, reference="INC-721", title="Strike on the Ariha market")
    added = [
        MediaItemFactory(
            case=case,
            acquired_by=person,
            exhibit_number=f"CW-0042-{n:06d}",
            exhibit_sequence=n,
            description=f"Photo {n}",
        )
        for n, person in enumerate((field, lead, field, field), start=1)
    ]
    base = live_server.url
    sign_in(page, base, "lead")
    for language, (done, not_changed) in {"en": ("Done for", "Not changed"), "ar": ("تمّ لـ", "لم يتغيّر")}.items():
        choose_language(page, base, language)
        MediaItem.objects.update(verification_status="unverified", verified_by=None, verified_at=None)
        page.goto(f"{base}/cases/CW-0042/media/")
        page.check('input[data-select-all="bulk-form"]')
        expect(page.locator("#bulk-count")).to_have_text("4")
        page.uncheck(f'input[name=items][value="{added[3].pk}"]')
        expect(page.locator("#bulk-count")).to_have_text("3")
        page.select_option("#bulk-action", "verify")
        page.click("#bulk-form button[type=submit]")
        expect(page.locator(".messages")).to_contain_text(f"{done}")
        refusal = page.locator(".messages li", has_text="CW-0042-000002")
        expect(refusal).to_contain_text(not_changed)
        assert set(
            MediaItem.objects.filter(verification_status="verified").values_list("exhibit_number", flat=True)
        ) == {
            "CW-0042-000001",
            "CW-0042-000003",
        }
        page.screenshot(path=str(screenshot_dir / f"bulk-{language}.png"), full_page=True)

        page.goto(f"{base}/cases/CW-0042/media/")
        page.check(f'input[name=items][value="{added[3].pk}"]')
        page.select_option("#bulk-action", "link_incident")
        page.locator("#id_incident").press_sequentially("Ariha", delay=30)
        page.get_by_role("option", name="INC-721 — Strike on the Ariha market").click()
        page.click("#bulk-form button[type=submit]")
        expect(page.locator(".messages")).to_contain_text("CW-0042-000004")
        assert list(added[3].incidents.values_list("reference", flat=True)) == ["INC-721"]


def test_forms_fit_both_languages(page, live_server, vocabularies, screenshot_dir):
    from casework.bundles.models import EvidenceBundle
    from tests.factories import WitnessFactory

    case = CaseFactory(reference="CW-0042", title="Airstrikes on Idlib")
    lead = UserFactory(username="lead")
    MembershipFactory(case=case, user=lead, role="case_admin")
    IncidentFactory(case=case, reference="INC-731", title="Strike on the Ariha market")
    witness = WitnessFactory(case=case, pseudonym="W-731")
    EvidenceBundle.objects.create(
        case=case, scope="case", recipient="A newspaper", profile="public", status="ready", requested_by=lead,
        exhibit_count=0, testimony_count=0, manifest_sha256="0" * 64, archive="packets/empty.zip", size_bytes=1,
    )  # fmt: skip
    base = live_server.url
    sign_in(page, base, "lead")
    expected = {
        "en": ("Ready, but empty", "so the packet may be empty"),
        "ar": ("جاهزة، لكنها فارغة", "لذا قد تكون الحزمة فارغة"),
    }
    for language, (empty, public_explained) in expected.items():
        choose_language(page, base, language)
        # A testimony typed in Arabic runs right to left in a proportional Arabic font, in either language.
        page.goto(f"{base}/cases/CW-0042/testimonies/new/")
        text = page.locator("textarea[name=original_text]")
        expect(text).to_have_attribute("dir", "auto")
        text.fill("رأيت الطائرة تقصف السوق.")
        style = text.evaluate("el => [getComputedStyle(el).direction, getComputedStyle(el).fontFamily]")
        assert style[0] == "rtl" and "Noto" in style[1] and "monospace" not in style[1], style
        # Each incident's box sits right beside its name, once picked.
        page.locator("#id_incidents").press_sequentially("Ariha", delay=30)
        page.get_by_role("option", name="INC-731 — Strike on the Ariha market").click()
        label = page.locator(".picker-chosen label", has_text="INC-731").first
        box, whole = label.locator("input").bounding_box(), label.bounding_box()
        assert whole["width"] < 400 and whole["x"] <= box["x"] <= whole["x"] + whole["width"], (box, whole)

        page.goto(f"{base}/cases/CW-0042/witnesses/{witness.pk}/")
        expect(page.locator("a.reveal-link")).to_be_visible()
        consent_box = page.locator("label.checkbox", has=page.locator("#id_allows_name"))
        assert consent_box.bounding_box()["width"] < 400

        page.goto(f"{base}/cases/CW-0042/packets/")
        expect(page.locator("table.data")).to_contain_text(empty)
        expect(page.locator("#id_profile_explanations dd")).to_have_count(3)
        expect(page.locator("#id_profile_explanations")).to_contain_text(public_explained)
        page.screenshot(path=str(screenshot_dir / f"forms-{language}.png"), full_page=True)
