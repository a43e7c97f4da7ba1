"""A field worker uploads a large photo over a link that drops, in real headless Chromium, in English and Arabic:
the page's resumable client sends it in pieces, a piece lost to the dropped connection is sent again from
where the server says the upload stands, and the file is taken in with its SHA-256 as any other upload."""

import hashlib

import pytest
from playwright.sync_api import expect

from casework.evidence.models import MediaItem
from casework.evidence.samples import jpeg_bytes
from tests.factories import CaseFactory, IncidentFactory, MembershipFactory, UserFactory
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def choose_language(page, base: str, language: str) -> None:
    page.goto(f"{base}/")
    page.select_option("#language-select", language)
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")


def test_a_dropped_connection_does_not_lose_the_upload(page, live_server, vocabularies, screenshot_dir, tmp_path):
    case = CaseFactory(reference="CW-0042", title="Airstrikes on Idlib, September 2017")
    MembershipFactory(case=case, user=UserFactory(username="field"), role="intake")
    IncidentFactory(case=case, reference="INC-701", title="Strike on the Saraqib bakery")
    base = live_server.url
    sign_in(page, base, "field")

    sent = []  # (method, path) of every request the page makes to the server
    page.on("request", lambda request: sent.append((request.method, request.url.removeprefix(base))))
    dropped, pieces = [], []

    def drop_the_second_piece(route):
        # The link dies while the second piece is on its way: the browser sees a reset connection.
        if route.request.method == "PATCH":
            pieces.append(route.request.headers["upload-offset"])
            if len(pieces) == 2:
                dropped.append(pieces[-1])
                route.abort("connectionreset")
                return
        route.continue_()

    page.route("**/api/cases/CW-0042/uploads/**", drop_the_second_piece)

    for number, language in enumerate(("en", "ar"), start=1):
        choose_language(page, base, language)
        sent.clear()
        dropped.clear()
        pieces.clear()
        # 20 MiB: a first piece of 8 MiB, then larger ones on this fast link.
        content = jpeg_bytes(seed=700 + number) + b"\0" * (20 * 1024 * 1024)
        photo = tmp_path / f"IMG_070{number}.jpg"
        photo.write_bytes(content)
        page.goto(f"{base}/cases/CW-0042/media/")
        page.set_input_files("#id_files", str(photo))
        page.select_option("#id_source", "activist_message")
        if language == "en":  # picked from the search as one types: the ticked box carries its reference
            page.locator("#id_incidents").press_sequentially("Saraqib", delay=30)
            page.get_by_role("option", name="INC-701 — Strike on the Saraqib bakery").click()
        else:  # typed and sent as it is
            page.fill("#id_incidents", "INC-701")
        page.fill("#id_description", "The bakery queue before the strike.")
        page.click("#media-upload-form button[type=submit]")

        sha256 = hashlib.sha256(content).hexdigest()
        expect(page.locator(".messages")).to_contain_text(sha256, timeout=60_000)
        expect(page.locator(".messages")).to_contain_text(
            "Received and stored" if language == "en" else "تم الاستلام والحفظ"
        )
        eight_mib = str(8 * 1024 * 1024)
        assert dropped == [eight_mib], "the second piece should have been lost once"
        assert pieces[:3] == ["0", eight_mib, eight_mib], "sent again from where the server says it stands"
        patches = [path for method, path in sent if method == "PATCH"]
        assert ("HEAD", patches[0]) in sent, "after the drop the client asks where the upload stands"
        assert not [path for method, path in sent if method == "POST" and path.startswith("/cases/")], (
            "the files went through the resumable client, not the plain form"
        )

        item = MediaItem.objects.get(sha256=sha256)
        assert item.exhibit_number == f"CW-0042-00000{number}"
        assert item.size_bytes == len(content)
        assert item.original_filename == photo.name
        assert [incident.reference for incident in item.incidents.all()] == ["INC-701"]
        row = page.locator("table.media-items tr", has_text=item.exhibit_number)
        expect(row).to_contain_text(photo.name)
        page.screenshot(path=str(screenshot_dir / f"resumable-upload-{language}.png"), full_page=True)
