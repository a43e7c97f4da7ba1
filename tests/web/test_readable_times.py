"""One way to write dates, times and numbers on every page, in English and Arabic: an incident's time with no
more precision than the record states, capture times with their zone or "time zone unknown", coordinates with a
decimal point, Western digits throughout (the same text the report PDF prints, from casework.web.formatting)."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from casework.web import formatting
from tests.factories import IncidentFactory, MediaItemFactory, TestimonyFactory

pytestmark = pytest.mark.django_db

ARABIC_INDIC_DIGITS = re.compile("[\u0660-\u0669\u06f0-\u06f9]")


def page(client, url: str, language: str) -> str:
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()


@pytest.mark.parametrize(
    ("language", "month", "year", "about", "unknown_zone"),
    [
        (
            "en",
            "December 2019",
            "2018",
            "19 September 2017, about 12:30 UTC",
            "2 January 2020, 03:04 (time zone unknown)",
        ),
        (
            "ar",
            "كانون الأول/ديسمبر 2019",
            "2018",
            "19 أيلول/سبتمبر 2017، حوالي الساعة 12:30 UTC",
            "2 كانون الثاني/يناير 2020، الساعة 03:04 (المنطقة الزمنية غير معروفة)",
        ),
    ],
)
def test_lists_and_pages_show_the_precision_the_record_states(
    client, case, analyst, intake_worker, language, month, year, about, unknown_zone
):
    december = IncidentFactory(
        case=case, reference="INC-1", start_time=datetime(2019, 12, 1, tzinfo=UTC), date_precision="unknown_day",
        latitude="35.810000", longitude="36.610000",
    )  # fmt: skip
    IncidentFactory(
        case=case, reference="INC-2", start_time=datetime(2018, 1, 1, tzinfo=UTC), date_precision="unknown_month_day"
    )
    estimated = IncidentFactory(
        case=case, reference="INC-3", start_time=datetime(2017, 9, 19, 12, 30, tzinfo=UTC), date_precision="estimate"
    )
    item = MediaItemFactory(
        case=case, acquired_by=intake_worker, capture_time=datetime(2020, 1, 2, 3, 4, tzinfo=UTC),
        capture_time_zone_known=False, latitude="35.810000", longitude="36.610000",
    )  # fmt: skip
    client.force_login(analyst)

    listing = page(client, reverse("incidents:incident_list", args=[case.reference]), language)
    assert month in listing and year in listing and about in listing
    detail = page(client, reverse("incidents:incident_detail", args=[case.reference, december.pk]), language)
    assert month in detail and "(35.81, 36.61)" in detail and "35,81" not in detail
    assert about in page(client, reverse("incidents:incident_detail", args=[case.reference, estimated.pk]), language)

    media = page(client, reverse("evidence:media_detail", args=[item.pk]), language)
    assert unknown_zone in media and "35.81, 36.61" in media
    assert unknown_zone in page(client, reverse("evidence:media_list", args=[case.reference]), language)
    for text in (listing, detail, media):
        assert not ARABIC_INDIC_DIGITS.search(text)


def test_dates_in_lists_read_like_the_report(client, case, analyst, intake_worker):
    testimony = TestimonyFactory(case=case, interview_date=datetime(2017, 9, 21).date())
    item = MediaItemFactory(case=case, acquired_by=intake_worker, acquired_at=datetime(2017, 9, 20, 8, 5, tzinfo=UTC))
    client.force_login(analyst)
    testimonies = page(client, reverse("witnesses:testimony_list", args=[case.reference]), "en")
    assert formatting.format_date(testimony.interview_date) == "21 September 2017"
    assert "21 September 2017" in testimonies
    shown = page(client, reverse("evidence:media_detail", args=[item.pk]), "en")
    assert "20 September 2017, 08:05 UTC" in shown
    assert "20 September 2017, 08:05 UTC" in page(client, reverse("evidence:media_list", args=[case.reference]), "en")
