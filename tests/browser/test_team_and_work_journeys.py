"""Running a case in real headless Chromium, in English and in Arabic (right to left): a superuser opens a
case and puts its team together, a case admin changes a role; a researcher's testimony is assigned to a
reviewer, who finds it in their queue and counts, rejects it with a reason, and the researcher is told why."""

import pytest
from playwright.sync_api import expect

from casework.cases.models import CaseMembership
from casework.notifications.models import Notification
from casework.witnesses.models import Testimony
from tests.factories import TEST_PASSWORD, CaseFactory, MembershipFactory, TestimonyFactory, UserFactory, WitnessFactory

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGES = ["en", "ar"]


def choose_language(page, base: str, language: str) -> None:
    """Pick the language on the sign-in page; the choice stays with the browser across sign-ins."""
    page.goto(f"{base}/accounts/login/")
    page.select_option("#language-select", language)
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")


def sign_in_as(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("main button[type=submit]")
    expect(page).to_have_url(f"{base}/")


def sign_out(page) -> None:
    page.click("header form[action$='/logout/'] button")


def confirm(page) -> None:
    page.click("#team-confirm-form button[type=submit]")


@pytest.mark.parametrize("language", LANGUAGES)
def test_superuser_opens_a_case_and_its_admin_runs_the_team(page, live_server, screenshot_dir, language):
    root = UserFactory(username="root")
    root.is_staff = root.is_superuser = True
    root.save(update_fields=["is_staff", "is_superuser"])
    for username in ("lead", "researcher", "checker"):
        UserFactory(username=username)
    base = live_server.url
    choose_language(page, base, language)

    # The superuser opens the case; a reference in the wrong format is refused beside the field, nothing lost.
    sign_in_as(page, base, "root")
    page.fill("#id_reference", "cw 500")
    page.fill("#id_title", "Attacks on bakeries, Aleppo 2016")
    page.fill("#id_description", "Bakeries hit while people queued for bread.")
    page.fill("#id_admin", "lead")
    page.click("#case-create-form button[type=submit]")
    expect(page.locator("#id_reference_error")).to_be_visible()
    expect(page.locator("#id_title")).to_have_value("Attacks on bakeries, Aleppo 2016")
    expect(page.locator("#id_admin")).to_have_value("lead")
    page.fill("#id_reference", "CW-0500")
    page.fill("#id_admin", "")  # the superuser is its first case admin
    page.click("#case-create-form button[type=submit]")
    expect(page).to_have_url(f"{base}/cases/CW-0500/team/")
    expect(page.locator(f"#member-{root.pk}")).to_be_visible()

    # The team: each addition is confirmed; an unknown username is refused beside the field.
    for username, role in (
        ("lead", "case_admin"),
        ("researcher", "intake"),
        ("checker", "reviewer"),
        ("nobody", "analyst"),
    ):
        page.fill("#id_user", username)
        page.select_option("#id_role", role)
        page.click("#team-add-form button[type=submit]")
        if username == "nobody":
            expect(page.locator("#id_user_error")).to_be_visible()
            expect(page.locator("#id_user")).to_have_value("nobody")
            continue
        expect(page.locator("section.confirm")).to_contain_text(username)
        confirm(page)
        expect(page.locator("table.team")).to_contain_text(username)
    assert dict(CaseMembership.objects.filter(case__reference="CW-0500").values_list("user__username", "role")) == {
        "root": "case_admin",
        "lead": "case_admin",
        "researcher": "intake",
        "checker": "reviewer",
    }
    sign_out(page)

    # The case admin makes the reviewer an analyst; the last case admin would be refused beside their row.
    sign_in_as(page, base, "lead")
    page.goto(f"{base}/cases/CW-0500/team/")
    checker = CaseMembership.objects.get(user__username="checker").user_id
    page.select_option(f"#id_member_{checker}_role", "analyst")
    page.click(f"#member-{checker} button[value=role]")
    confirm(page)
    expect(page.locator(f"#member-{checker}")).to_contain_text("Analyst" if language == "en" else "محلل")
    assert CaseMembership.objects.get(user__username="checker").role == "analyst"
    page.click(f"#member-{root.pk} button[value=remove]")
    confirm(page)
    lead = CaseMembership.objects.get(user__username="lead").user_id
    page.click(f"#member-{lead} button[value=remove]")  # refused before any confirmation
    expect(page.locator(f"#member-{lead} .error")).to_be_visible()
    assert CaseMembership.objects.get(user__username="lead").role == "case_admin"
    page.goto(f"{base}/cases/CW-0500/team/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    page.screenshot(path=str(screenshot_dir / f"team-{language}.png"), full_page=True)


@pytest.mark.parametrize("language", LANGUAGES)
def test_testimony_assigned_reviewed_rejected_and_the_researcher_told_why(page, live_server, screenshot_dir, language):
    case = CaseFactory(reference="CW-0501", title="Shelling of Douma, 2018")
    people = {}
    for username, role in (("researcher", "intake"), ("checker", "reviewer"), ("lead", "case_admin")):
        people[username] = UserFactory(username=username)
        MembershipFactory(case=case, user=people[username], role=role)
    witness = WitnessFactory(case=case, pseudonym="W-601", real_name="Browser Canary Witness")
    testimony = TestimonyFactory(
        case=case,
        witness=witness,
        interviewer=people["researcher"],
        created_by=people["researcher"],
        status="submitted",
        original_text="سقطت القذائف على الحي قرابة الفجر.",
    )
    base = live_server.url
    choose_language(page, base, language)

    # The case admin assigns the testimony to the reviewer from the review queue.
    sign_in_as(page, base, "lead")
    page.goto(f"{base}/cases/CW-0501/review/")
    row = page.locator(f"#testimony-{testimony.pk}")
    row.locator("select[name=assignee]").select_option(label="checker")
    row.locator("button.assign-to").click()
    expect(page.locator(f"#testimony-{testimony.pk} .assigned-to")).to_contain_text("checker")
    sign_out(page)

    # The reviewer sees it counted in the header, finds it in their queue, and rejects it with a reason.
    sign_in_as(page, base, "checker")
    expect(page.locator("#review-count")).to_have_text("1")
    expect(page.locator("#unread-count")).to_have_text("1")
    page.click("#nav-review")
    expect(page.locator("main")).to_contain_text("W-601")
    page.goto(f"{base}/cases/CW-0501/review/?show=mine")
    expect(page.locator(f"#testimony-{testimony.pk}")).to_be_visible()
    expect(page.locator("#case-review-count")).to_have_text("1")
    page.screenshot(path=str(screenshot_dir / f"review-queue-{language}.png"), full_page=True)
    page.click(f"#testimony-{testimony.pk} a")
    page.fill("#id_reason", "The time given does not match the shelling reported that morning.")
    page.click("button[value=reject]")
    expect(page.locator(".error-summary")).to_contain_text("The time given does not match")
    assert Testimony.objects.get().status == "rejected"
    expect(page.locator("#review-count")).to_have_count(0)
    sign_out(page)

    # The researcher is told, with the reason, and marks it read.
    sign_in_as(page, base, "researcher")
    expect(page.locator("#unread-count")).to_have_text("1")
    page.click("#nav-notifications")
    note = page.locator("li.notification.unread")
    expect(note).to_contain_text("W-601")
    expect(note).to_contain_text("checker")
    expect(note.locator("blockquote.reason")).to_have_text(
        "The time given does not match the shelling reported that morning."
    )
    expect(page.locator("main")).not_to_contain_text("Browser Canary Witness")
    page.screenshot(path=str(screenshot_dir / f"notifications-{language}.png"), full_page=True)
    note.locator("button.mark-read").click()
    expect(page.locator("#unread-count")).to_have_count(0)
    expect(page.locator("li.notification.read")).to_have_count(1)
    assert Notification.objects.get(recipient=people["researcher"]).read_at is not None
    page.click("li.notification a")
    expect(page.locator(".error-summary")).to_contain_text("The time given does not match")
