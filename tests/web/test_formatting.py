"""Times, numbers and codes as people read them, in English and Arabic (casework.web.formatting and its
template filters)."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from casework.evidence.models import MediaKind
from casework.web import formatting
from casework.witnesses.models import InterviewMethod, ReviewStatus

UTC = datetime.UTC
MOMENT = datetime.datetime(2017, 9, 19, 10, 40, tzinfo=UTC)
ARABIC_INDIC_DIGITS = set("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹")


def both(function, *args, **kwargs) -> tuple[str, str]:
    with translation.override("en"):
        english = function(*args, **kwargs)
    with translation.override("ar"):
        arabic = function(*args, **kwargs)
    assert not ARABIC_INDIC_DIGITS & set(english + arabic), "Western digits in both languages"
    return english, arabic


def test_dates_have_one_format_per_language():
    assert both(formatting.format_date, datetime.date(2017, 9, 19)) == ("19 September 2017", "19 أيلول/سبتمبر 2017")
    assert both(formatting.format_month, datetime.date(2017, 12, 1)) == ("December 2017", "كانون الأول/ديسمبر 2017")
    assert both(formatting.format_datetime, MOMENT) == (
        "19 September 2017, 10:40 UTC",
        "19 أيلول/سبتمبر 2017، الساعة 10:40 UTC",
    )


def test_every_month_has_its_arabic_name():
    with translation.override("ar"):
        names = [formatting.format_month(datetime.date(2017, month, 1)) for month in range(1, 13)]
    assert all("/" in name and not name.isascii() for name in names), names
    assert len(set(names)) == 12


def test_times_are_read_in_the_active_zone_and_say_which():
    with timezone.override(ZoneInfo("Asia/Damascus")):
        assert both(formatting.format_datetime, MOMENT) == (
            "19 September 2017, 13:40 UTC+03:00",
            "19 أيلول/سبتمبر 2017، الساعة 13:40 UTC+03:00",
        )
    with timezone.override(ZoneInfo("America/Caracas")):
        assert formatting.zone_label(timezone.localtime(MOMENT)) == "UTC-04:00"


@pytest.mark.parametrize(
    ("precision", "english", "arabic"),
    [
        ("exact", "19 September 2017, 10:40 UTC", "19 أيلول/سبتمبر 2017، الساعة 10:40 UTC"),
        ("estimate", "19 September 2017, about 10:40 UTC", "19 أيلول/سبتمبر 2017، حوالي الساعة 10:40 UTC"),
        ("unknown_day", "September 2017", "أيلول/سبتمبر 2017"),
        ("unknown_month_day", "2017", "2017"),
    ],
)
def test_an_incident_time_has_the_precision_the_record_states(precision, english, arabic):
    assert both(formatting.format_incident_time, MOMENT, precision) == (english, arabic)


def test_a_day_unknown_is_never_shown_as_midnight_of_the_first():
    first_of_december = datetime.datetime(2019, 12, 1, tzinfo=UTC)
    english, arabic = both(formatting.format_incident_time, first_of_december, "unknown_day")
    assert (english, arabic) == ("December 2019", "كانون الأول/ديسمبر 2019")
    assert "1" not in english.replace("2019", "") and "00:00" not in english and "midnight" not in english


def test_an_estimated_day_without_a_time_is_around_that_day():
    assert both(formatting.format_incident_time, datetime.datetime(2017, 9, 19, tzinfo=UTC), "estimate") == (
        "around 19 September 2017",
        "حوالي 19 أيلول/سبتمبر 2017",
    )


def test_a_day_unknown_is_the_month_of_the_zone_it_was_entered_in():
    # Entered in Damascus as "December 2019": 1 December 00:00 there is still 30 November in UTC.
    entered = datetime.datetime(2019, 12, 1, tzinfo=ZoneInfo("Asia/Damascus"))
    with timezone.override(ZoneInfo("Asia/Damascus")), translation.override("en"):
        assert formatting.format_incident_time(entered, "unknown_day") == "December 2019"


def test_an_incident_period_shows_its_end_only_when_it_differs():
    end = MOMENT + datetime.timedelta(hours=2)
    with translation.override("en"):
        assert formatting.format_incident_period(MOMENT, end, "exact") == (
            "19 September 2017, 10:40 UTC – 19 September 2017, 12:40 UTC"
        )
        assert formatting.format_incident_period(MOMENT, end, "unknown_day") == "September 2017"
        assert formatting.format_incident_period(MOMENT, None, "exact") == "19 September 2017, 10:40 UTC"


def test_capture_times_carry_their_zone_or_say_it_is_unknown():
    assert both(formatting.format_capture_time, MOMENT, zone_known=True) == (
        "19 September 2017, 10:40 UTC",
        "19 أيلول/سبتمبر 2017، الساعة 10:40 UTC",
    )
    with timezone.override(ZoneInfo("Asia/Damascus")):
        # The camera's clock as read: not converted to any zone, since nobody knows which it was in.
        assert both(formatting.format_capture_time, MOMENT, zone_known=False) == (
            "19 September 2017, 10:40 (time zone unknown)",
            "19 أيلول/سبتمبر 2017، الساعة 10:40 (المنطقة الزمنية غير معروفة)",
        )
    assert both(formatting.format_capture_time, None, zone_known=False) == (
        "not recorded in the file",
        "غير مسجّل في الملف",
    )


@pytest.mark.parametrize(
    ("latitude", "longitude", "shown"),
    [
        (Decimal("35.810000"), Decimal("36.610000"), "35.81, 36.61"),
        (35.123456789, -0.5, "35.123457, -0.5"),
        (Decimal("-33.000000"), Decimal("0E-6"), "-33, 0"),
        ("35.8", "36.6", "35.8, 36.6"),
    ],
)
def test_coordinates_never_have_a_decimal_comma(latitude, longitude, shown):
    assert both(formatting.format_coordinates, latitude, longitude) == (shown, shown)


def test_missing_coordinates_are_empty():
    assert formatting.format_coordinates(None, Decimal("36.6")) == ""
    assert formatting.format_coordinate(None) == ""


def test_counts_group_thousands_the_same_way_in_both_languages():
    assert both(formatting.format_count, 1234567) == ("1,234,567", "1,234,567")
    assert both(formatting.format_count, 7) == ("7", "7")


@pytest.mark.parametrize(
    ("size", "english", "arabic"),
    [
        (1, "1 byte", "1 بايت"),
        (850, "850 bytes", "850 بايت"),
        (1000, "1.0 kB", "1.0 كيلوبايت"),
        (1_234_567, "1.2 MB", "1.2 ميغابايت"),
        (999_600, "1.0 MB", "1.0 ميغابايت"),
        (340_000_000, "340 MB", "340 ميغابايت"),
        (2_147_483_648, "2.1 GB", "2.1 غيغابايت"),
        (5 * 10**15, "5,000 TB", "5,000 تيرابايت"),
    ],
)
def test_byte_sizes_are_readable(size, english, arabic):
    assert both(formatting.format_bytes, size) == (english, arabic)


def test_durations_are_clock_readings():
    assert [formatting.format_duration(s) for s in (7.4, 725, 3723, None)] == ["0:07", "12:05", "1:02:03", ""]


def test_codes_are_shown_as_their_labels():
    assert both(formatting.choice_label, InterviewMethod, "messaging_app") == ("Messaging app", "تطبيق مراسلة")
    assert both(formatting.choice_label, ReviewStatus, "verified")[0] == "Verified"
    assert both(formatting.choice_label, MediaKind, "photo")[0] == "Photo"
    assert formatting.choice_label(MediaKind, "hologram") == "hologram"  # unknown: as stored, not hidden


def test_languages_are_named():
    english, arabic = both(formatting.language_name, "ar")
    assert (english, arabic) == ("Arabic", "العربية")
    assert both(formatting.language_name, "en")[0] == "English"
    assert formatting.language_name("xx-unknown") == "xx-unknown"


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("شاهدت الغارة على السوق.", "rtl"),
        ("I saw the strike.", "ltr"),
        ("«10:40» شاهدت الغارة", "rtl"),  # digits and punctuation are not strong: the first letter decides
        ("2017 - I saw it. شاهدت", "ltr"),
        ("ראיתי את התקיפה", "rtl"),
        ("\u2066English inside an isolate\u2069 ثم العربية", "rtl"),
        ("", "ltr"),
        ("12:40 …", "ltr"),
    ],
)
def test_text_direction_comes_from_the_first_strong_character(text, direction):
    assert formatting.text_direction(text) == direction


def test_each_paragraph_gets_its_own_direction():
    assert formatting.paragraphs("شاهدت الغارة.\n\n  Translation note: see above.  \n") == [
        {"text": "شاهدت الغارة.", "direction": "rtl"},
        {"text": "Translation note: see above.", "direction": "ltr"},
    ]


def test_file_names_show_their_invisible_characters():
    assert formatting.format_filename("invoice\u202egpj.exe") == "invoice[U+202E]gpj.exe"
    assert formatting.format_filename("line\r\nbreak.jpg") == "line[U+000D][U+000A]break.jpg"
    assert formatting.format_filename("صورة السوق.jpg") == "صورة السوق.jpg"


def render(source: str, **context) -> str:
    return Template("{% load casework_format %}" + source).render(Context(context))


def test_the_template_filters_use_the_same_functions():
    class Incident:
        start_time = datetime.datetime(2019, 12, 1, tzinfo=UTC)
        end_time = None
        date_precision = "unknown_day"

    with translation.override("ar"):
        shown = render(
            "{{ incident|incident_time }}|{{ moment|when }}|{{ moment|capture_time:False }}|"
            "{{ lat|coordinates:lon }}|{{ size|filesize }}|{{ n|count }}|{{ 'ar'|language_name }}|"
            "{{ text|direction }}|{{ name|filename }}|{{ seconds|duration }}|{{ moment|day }}",
            incident=Incident(),
            moment=MOMENT,
            lat=Decimal("35.810000"),
            lon=Decimal("36.610000"),
            size=1_234_567,
            n=12345,
            text="شاهدت",
            name="a\u202eb",
            seconds=65,
        )
    assert shown.split("|") == [
        "كانون الأول/ديسمبر 2019",
        "19 أيلول/سبتمبر 2017، الساعة 10:40 UTC",
        "19 أيلول/سبتمبر 2017، الساعة 10:40 (المنطقة الزمنية غير معروفة)",
        "35.81, 36.61",
        "1.2 ميغابايت",
        "12,345",
        "العربية",
        "rtl",
        "a[U+202E]b",
        "1:05",
        "19 أيلول/سبتمبر 2017",
    ]
    assert render("{{ missing|when }}{{ missing|coordinates:missing }}{{ missing|filesize }}", missing=None) == ""
    assert render("{% for p in text|paragraphs %}<p dir='{{ p.direction }}'>{{ p.text }}</p>{% endfor %}",
                  text="<شاهدت & >") == "<p dir='rtl'>&lt;شاهدت &amp; &gt;</p>"  # fmt: skip
