"""How Casework writes times, numbers and coded values for people, in English and Arabic, in one place.

Digits: Western (0-9) in both languages, everywhere. The Arabic pages already show them (Django's Arabic locale
keeps them), and what a reader copies from a page or a packet (exhibit numbers, dates, coordinates, counts,
hashes) goes into spreadsheets, search boxes, mapping tools and court filings, where Arabic-Indic digits would
not match. One digit system also keeps a line that holds an exhibit number and a date from mixing two.

Arabic months: the United Nations' Arabic style, the Levantine name with the Western one ("أيلول/سبتمبر"), read
the same way by a Syrian witness and by a reader in Cairo or Tunis.

Decimal numbers always use a point (Django's Arabic locale writes 35.81 as "35,81", which a mapping tool reads
as two numbers) and the same text in every language: "35.81, 36.61".

Times: in the active time zone (settings.TIME_ZONE unless a view switches it), always with the zone written
next to them. A capture time whose zone the file did not give is shown as the camera's clock read it, never
converted, and says so.
"""

import datetime
import unicodedata
from decimal import Decimal, InvalidOperation

from django.db import models
from django.utils import timezone
from django.utils.translation import get_language_info, gettext, ngettext, pgettext, pgettext_lazy

from casework.incidents.models import DatePrecision

MONTHS = (
    pgettext_lazy("month name", "January"),
    pgettext_lazy("month name", "February"),
    pgettext_lazy("month name", "March"),
    pgettext_lazy("month name", "April"),
    pgettext_lazy("month name", "May"),
    pgettext_lazy("month name", "June"),
    pgettext_lazy("month name", "July"),
    pgettext_lazy("month name", "August"),
    pgettext_lazy("month name", "September"),
    pgettext_lazy("month name", "October"),
    pgettext_lazy("month name", "November"),
    pgettext_lazy("month name", "December"),
)

# Characters that change how a name is shown without being seen (a right-to-left override turns
# "invoice\u202egpj.exe" into "invoiceexe.jpg") or break a line.
INVISIBLE_CATEGORIES = ("Cc", "Cf", "Zl", "Zp")
ISOLATE_OPENERS = ("\u2066", "\u2067", "\u2068")
ISOLATE_CLOSER = "\u2069"


def _local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def zone_label(moment: datetime.datetime) -> str:
    """ "UTC" or "UTC+03:00": an offset every reader can compute with, not an abbreviation like "EEST"."""
    offset = moment.utcoffset()
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds()) // 60
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{'+' if offset > datetime.timedelta(0) else '-'}{hours:02d}:{minutes:02d}"


def format_year(value: datetime.date) -> str:
    return str(value.year)


def format_month(value: datetime.date) -> str:
    """ "September 2017" / "أيلول/سبتمبر 2017"."""
    if isinstance(value, datetime.datetime):
        value = _local(value)
    return gettext("%(month)s %(year)s") % {"month": MONTHS[value.month - 1], "year": value.year}


def format_date(value: datetime.date) -> str:
    """ "19 September 2017" / "19 أيلول/سبتمبر 2017"; a datetime is read in the active zone first."""
    if isinstance(value, datetime.datetime):
        value = _local(value)
    return gettext("%(day)s %(month)s %(year)s") % {
        "day": value.day,
        "month": MONTHS[value.month - 1],
        "year": value.year,
    }


def format_time(value: datetime.datetime | datetime.time) -> str:
    """ "10:40", on a 24-hour clock in both languages (no AM/PM to mistranslate)."""
    return f"{value.hour:02d}:{value.minute:02d}"


def format_datetime(value: datetime.datetime) -> str:
    """ "19 September 2017, 10:40 UTC" in the active time zone."""
    local = _local(value)
    return gettext("%(date)s, %(time)s %(zone)s") % {
        "date": format_date(local.date()),
        "time": format_time(local),
        "zone": zone_label(local),
    }


def format_incident_time(value: datetime.datetime, precision: str) -> str:
    """An incident's time with no more precision than the record states (Incident.date_precision): a date
    whose day is unknown is "September 2017", never "1 September 2017, 00:00"."""
    local = _local(value)
    if precision == DatePrecision.UNKNOWN_MONTH_DAY:
        return format_year(local)
    if precision == DatePrecision.UNKNOWN_DAY:
        return format_month(local)
    if precision == DatePrecision.ESTIMATE:
        if (local.hour, local.minute) == (0, 0):  # an estimated day, with no time given
            return gettext("around %(date)s") % {"date": format_date(local.date())}
        return gettext("%(date)s, about %(time)s %(zone)s") % {
            "date": format_date(local.date()),
            "time": format_time(local),
            "zone": zone_label(local),
        }
    return format_datetime(local)


def format_incident_period(start: datetime.datetime, end: datetime.datetime | None, precision: str) -> str:
    """Start, or start – end, each with the record's precision; an end that reads the same is left out."""
    first = format_incident_time(start, precision)
    if end is None:
        return first
    last = format_incident_time(end, precision)
    return first if last == first else f"{first} – {last}"


def format_capture_time(value: datetime.datetime | None, *, zone_known: bool) -> str:
    """When a file was recorded. `zone_known`: the file gave its time zone (or its container defines one).
    Without a zone, the stored value is the device's clock reading stored as if UTC: shown as read, not
    converted, and marked "time zone unknown"."""
    if value is None:
        return gettext("not recorded in the file")
    if zone_known:
        return format_datetime(value)
    clock = value.astimezone(datetime.UTC) if timezone.is_aware(value) else value
    return gettext("%(date)s, %(time)s (time zone unknown)") % {
        "date": format_date(clock.date()),
        "time": format_time(clock),
    }


def format_coordinate(value) -> str:
    """A latitude or longitude in decimal degrees with a decimal point, at most 6 decimals, no trailing
    zeros; "" for none."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except InvalidOperation:
        return ""
    text = format(number, "f").rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_coordinates(latitude, longitude) -> str:
    """ "35.81, 36.61" (latitude, longitude, WGS 84) in every language; "" if either is missing."""
    if latitude is None or longitude is None:
        return ""
    return f"{format_coordinate(latitude)}, {format_coordinate(longitude)}"


def format_count(value: int) -> str:
    """ "1,234": a comma between thousands and Western digits in both languages."""
    return f"{int(value):,}"


def format_bytes(value: int) -> str:
    """ "850 bytes", "1.2 MB", "340 MB", "2.1 GB": decimal units (1 MB = 1,000,000 bytes), as file managers
    and storage vendors count them."""
    value = int(value)
    if value < 1000:
        return ngettext("%(count)s byte", "%(count)s bytes", value) % {"count": format_count(value)}
    units = (
        pgettext("file size", "%(size)s kB"),
        pgettext("file size", "%(size)s MB"),
        pgettext("file size", "%(size)s GB"),
        pgettext("file size", "%(size)s TB"),
    )
    size, unit = float(value), -1
    # 999,600 bytes is "1.0 MB", not "1,000 kB": the unit is chosen on the number as it will be shown.
    while unit < len(units) - 1 and size >= 999.5:
        size /= 1000
        unit += 1
    shown = f"{size:.1f}" if size < 99.95 else f"{size:,.0f}"
    return units[unit] % {"size": shown}


def format_duration(seconds: float | None) -> str:
    """ "0:07", "12:05", "1:02:03" (hours:minutes:seconds, language-neutral); "" for none."""
    if seconds is None:
        return ""
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def choice_label(choices: type[models.Choices], value: str) -> str:
    """The translated label of a stored code ("messaging_app" → "Messaging app"); for a model field use
    get_FOO_display. An unknown code is shown as stored rather than hidden."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def language_name(code: str) -> str:
    """ "ar" → "Arabic" / "العربيّة"; an unknown code as given."""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def text_direction(text: str, default: str = "ltr") -> str:
    """ "rtl" or "ltr" from the first strong character (Unicode bidi classes R and AL: Arabic, Hebrew, Syriac,
    Thaana...; L: Latin and the rest), skipping isolated runs, as the Unicode bidi algorithm's rule P2 and
    dir="auto" do. WeasyPrint ignores dir="auto", so the report sets each paragraph's dir from this."""
    depth = 0
    for character in text:
        if character in ISOLATE_OPENERS:
            depth += 1
        elif character == ISOLATE_CLOSER:
            depth = max(depth - 1, 0)
        elif depth == 0:
            kind = unicodedata.bidirectional(character)
            if kind in ("R", "AL"):
                return "rtl"
            if kind == "L":
                return "ltr"
    return default


def paragraphs(text: str) -> list[dict[str, str]]:
    """Each non-empty line of `text` as {"text", "direction"}: a testimony that mixes an Arabic paragraph
    with an English one sets each its own way."""
    return [{"text": line.strip(), "direction": text_direction(line)} for line in text.splitlines() if line.strip()]


def format_filename(name: str) -> str:
    """A sender's file name with every invisible control or format character written out as [U+XXXX], so
    what the reader sees is what the name is."""
    return "".join(
        f"[U+{ord(character):04X}]" if unicodedata.category(character) in INVISIBLE_CATEGORIES else character
        for character in name
    )
