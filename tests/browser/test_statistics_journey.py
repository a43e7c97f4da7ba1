"""A spreadsheet imported in the browser, then the statistics it yields, each number traced to its records,
in English and Arabic, in real headless Chromium."""

import pytest
from playwright.sync_api import expect

from casework.incidents.models import Incident, Victim
from tests.factories import CaseFactory, MembershipFactory, UserFactory
from tests.helpers import sign_in, sign_out

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = (
    "incident_reference,incident_title,incident_date,governorate,incident_type,weapons,victim_name,sex,age,"
    "victim_status\n"
)
ROWS = [
    "INC-900,Airstrike on Kafranbel market,2019-05-03,idlib,airstrike,cluster-munition,Huda,female,34,killed",
    "INC-900,,,,,,Omar,male,9,killed",
    "INC-900,,,,,,Ali,male,18,killed",
    "INC-901,Shelling of Maarat al-Numan,2019-06-11,إدلب,shelling,,Sami,male,,injured",
]


def test_import_a_spreadsheet_then_trace_a_statistic_to_its_records(page, live_server, vocabularies, tmp_path,
                                                                     screenshot_dir):  # fmt: skip
    case = CaseFactory(reference="CW-0042", title="Airstrikes on Idlib")
    MembershipFactory(case=case, user=UserFactory(username="researcher"), role="intake")
    MembershipFactory(case=case, user=UserFactory(username="counter"), role="analyst")
    base = live_server.url

    # A file with a mistake: every problem is listed and nothing is written.
    bad = tmp_path / "victims-bad.csv"
    bad.write_text(HEADER + "\n".join([*ROWS[:2], "INC-900,,,,,,Ali,male,eighteen,killed", ROWS[3]]) + "\n")
    sign_in(page, base, "researcher")
    page.goto(f"{base}/cases/CW-0042/victims/")
    page.click("text=Import from CSV")
    page.set_input_files("input[type=file]", str(bad))
    page.click("main form button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("1 problem")
    expect(page.locator("table.data")).to_contain_text("“eighteen” is not an age in whole years.")
    assert not Incident.objects.exists() and not Victim.objects.exists()

    # The corrected file: checked, then confirmed.
    good = tmp_path / "victims.csv"
    good.write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8-sig")
    page.set_input_files("input[type=file]", str(good))
    page.click("main form button[type=submit]:has-text('Check')")
    expect(page.get_by_role("status")).to_contain_text("2 new incidents would be created")
    assert not Victim.objects.exists()
    page.click("text=Confirm the import")
    expect(page.locator("body")).to_contain_text("Imported 4 victims")
    assert Victim.objects.count() == 4 and Incident.objects.count() == 2
    sign_out(page)

    # The analyst's statistics: a child and an adult woman among three civilians killed; 18 is an adult.
    sign_in(page, base, "counter")
    page.click("text=CW-0042")
    page.click("nav.case-nav >> text=Statistics")
    totals = page.locator("ul.totals")
    expect(totals.locator("li", has_text="Civilians killed")).to_contain_text("3")
    expect(totals.locator("li", has_text="Children killed")).to_contain_text("1")
    expect(totals.locator("li", has_text="Adult women killed")).to_contain_text("1")
    page.screenshot(path=str(screenshot_dir / "statistics-en.png"), full_page=True)
    totals.locator("li", has_text="Children killed").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Children killed")).to_be_visible()
    expect(page.locator("table.data tbody tr")).to_have_count(1)
    expect(page.locator("table.data")).to_contain_text("Omar")
    expect(page.locator("table.data")).not_to_contain_text("Ali")

    page.select_option("#language-select", "ar")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.goto(f"{base}/statistics/?case=CW-0042")
    expect(page.get_by_role("heading", name="إحصاءات الحصيلة")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "statistics-ar.png"), full_page=True)
