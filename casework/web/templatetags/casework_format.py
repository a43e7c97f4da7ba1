"""Template filters over casework.web.formatting: `{% load casework_format %}`.

    {{ item.acquired_at|when }}                      19 September 2017, 10:40 UTC
    {{ testimony.interview_date|day }}               19 September 2017
    {{ incident|incident_time }}                     September 2017 (day unknown), or a start – end period
    {{ item.capture_time|capture_time:zone_known }}  ... (time zone unknown)
    {{ item.latitude|coordinates:item.longitude }}   35.81, 36.61
    {{ victims|length|count }}  {{ item.size_bytes|filesize }}  {{ item.duration_seconds|duration }}
    {{ testimony.language|language_name }}           Arabic
    <p dir="{{ text|direction }}">                   rtl for Arabic
    {% for paragraph in text|paragraphs %}<p dir="{{ paragraph.direction }}">{{ paragraph.text }}</p>{% endfor %}
    {{ item.original_filename|filename }}            invisible characters written out as [U+202E]

Each returns plain text (escaped by the template as usual); "" for a missing value.
"""

from django import template

from casework.web import formatting

register = template.Library()


@register.filter
def when(value) -> str:
    return formatting.format_datetime(value) if value else ""


@register.filter
def day(value) -> str:
    return formatting.format_date(value) if value else ""


@register.filter
def incident_time(incident) -> str:
    """The period of an Incident (or anything with start_time, end_time, date_precision)."""
    if incident is None or not getattr(incident, "start_time", None):
        return ""
    return formatting.format_incident_period(incident.start_time, incident.end_time, incident.date_precision)


@register.filter
def capture_time(value, zone_known=False) -> str:
    return formatting.format_capture_time(value or None, zone_known=bool(zone_known))


@register.filter
def coordinates(latitude, longitude) -> str:
    return formatting.format_coordinates(latitude, longitude)


@register.filter
def count(value) -> str:
    return formatting.format_count(value) if value not in (None, "") else ""


@register.filter
def filesize(value) -> str:
    return formatting.format_bytes(value) if value not in (None, "") else ""


@register.filter
def duration(value) -> str:
    return formatting.format_duration(value)


@register.filter
def language_name(code) -> str:
    return formatting.language_name(code) if code else ""


@register.filter
def direction(text) -> str:
    return formatting.text_direction(str(text or ""))


@register.filter
def paragraphs(text) -> list[dict[str, str]]:
    return formatting.paragraphs(str(text or ""))


@register.filter
def filename(name) -> str:
    return formatting.format_filename(str(name or ""))
