"""Under the Content-Security-Policy, the pages still work in real Chromium and the browser reports no violation:
the staff pages, the account page, the Swagger docs (the sidecar's files and a separate initialiser) and the
Django admin's widgets."""

import pytest
from playwright.sync_api import expect

from casework.incidents.models import Governorate
from tests.factories import (
    TEST_PASSWORD,
    CaseFactory,
    IncidentFactory,
    MembershipFactory,
    TestimonyFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

# Runs before any script of each page: the browser reports every refused resource or inline code here.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`);
});
"""


@pytest.fixture
def watched_page(page):
    page.add_init_script(RECORD_VIOLATIONS)
    console_refusals = []
    page.on(
        "console", lambda message: "Content Security Policy" in message.text and console_refusals.append(message.text)
    )
    page.console_refusals = console_refusals
    return page


def assert_no_violation(page) -> None:
    assert page.evaluate("window.cspViolations") == [], page.url
    assert page.console_refusals == [], page.url


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    assert_no_violation(page)
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("main button[type=submit]")
    expect(page.get_by_role("heading", name="Your cases")).to_be_visible()


def test_staff_pages_and_the_api_docs_work_under_the_policy(watched_page, live_server, vocabularies):
    page, base = watched_page, live_server.url
    case = CaseFactory(reference="CW-0042", title="Airstrikes on Idlib, September 2017")
    MembershipFactory(case=case, user=UserFactory(username="lead"), role="case_admin")
    IncidentFactory(case=case, reference="INC-1", title="Strike on the market")
    sign_in(page, base, "lead")
    assert_no_violation(page)

    for path in ("/cases/CW-0042/", "/cases/CW-0042/media/", "/statistics/?case=CW-0042", "/account/two-factor/"):
        page.goto(base + path)
        assert_no_violation(page)

    # The formset's "add a row" button is a script from a file.
    page.goto(f"{base}/cases/CW-0042/incidents/new/")
    page.click("text=Add a victim")
    expect(page.locator("[name=victims-0-name]")).to_be_visible()
    assert_no_violation(page)

    # The language menu submits itself (a listener in base.js, not an inline handler).
    page.select_option("#language-select", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.select_option("#language-select", "en")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    assert_no_violation(page)

    # Swagger UI renders the schema's operations.
    page.goto(f"{base}/api/docs/")
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.locator("text=/api/cases/{reference}/incidents/").first).to_be_visible()
    assert_no_violation(page)


def test_django_admin_works_under_the_policy(watched_page, live_server, vocabularies):
    page, base = watched_page, live_server.url
    admin_user = UserFactory(username="root_admin")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save(update_fields=["is_staff", "is_superuser"])
    case = CaseFactory(reference="CW-0042", title="Airstrikes on Idlib, September 2017")
    incident = IncidentFactory(case=case, reference="INC-1", title="Strike on the market")
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "root_admin")
    page.fill("#id_password", TEST_PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()
    assert_no_violation(page)

    TestimonyFactory(case=case).incidents.add(incident)
    page.goto(f"{base}/admin/witnesses/testimony/")
    page.check("#action-toggle")  # actions.js (the incident list offers no action: incidents are not deleted here)
    expect(page.locator(".action-counter")).to_contain_text("1 of 1")
    assert_no_violation(page)

    # The two-box many-to-many widget (SelectFilter2.js) and the victims' "add another" inline (inlines.js).
    page.goto(f"{base}/admin/incidents/incident/{incident.pk}/change/")
    expect(page.locator("#id_weapons_from")).to_be_visible()
    page.click(".add-row a >> nth=-1")
    assert_no_violation(page)

    # Prepopulated fields (the code follows the name) and the case autocomplete (select2).
    page.goto(f"{base}/admin/incidents/governorate/add/")
    page.locator("#id_name").press_sequentially("New Area")
    expect(page.locator("#id_code")).to_have_value("new-area")
    page.goto(f"{base}/admin/cases/casemembership/add/")
    page.click(".field-case .select2-selection")
    expect(page.locator(".select2-results__option", has_text="CW-0042")).to_be_visible()
    assert_no_violation(page)
    assert Governorate.objects.filter(case=None).exists()
