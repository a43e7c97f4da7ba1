"""What a case's map shows: its incidents and geolocated media as GeoJSON, for one person and the filters."""

from typing import Any

from casework.cases import access
from casework.cases.models import Case
from casework.evidence.models import MediaItem
from casework.evidence.selectors import (
    incident_positions,
    media_day,
    media_flag_far_from_incidents,
    media_item_day,
    media_moment,
)
from casework.incidents.models import Incident
from casework.maps.forms import RecordType

# Points of each kind sent at most; the answer says when more matched (narrow the filters).
MAX_POINTS = 5000


def map_points(*, case: Case, user, filters: dict[str, Any], urls) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the case's incidents with a position and its media with GPS that match
    `filters` (MapFilterForm.cleaned_data), each with a label, its page's URL (`urls.incident(incident)`,
    `urls.media(item)`) and, for media, the incidents it lies far from. Media only for a person who may see
    them; withdrawn media are left out. Never a description, file name or anything of a witness.

    Queries: incidents, media, and the media's linked incidents (one each)."""
    record_type = filters.get("record_type") or ""
    features: list[dict[str, Any]] = []
    truncated = False
    if record_type in ("", RecordType.INCIDENTS):
        incidents = _incidents(case, filters)
        truncated |= len(incidents) > MAX_POINTS
        for incident in incidents[:MAX_POINTS]:
            features.append(
                _feature(
                    incident.latitude,
                    incident.longitude,
                    kind="incident",
                    label=f"{incident.reference} — {incident.title}",
                    url=urls.incident(incident),
                    date=incident.start_time.date().isoformat() if incident.start_time else "",
                )
            )
    if record_type in ("", RecordType.MEDIA) and user.has_perm(access.VIEW_MEDIA, case):
        items = _media(case, filters)
        truncated |= len(items) > MAX_POINTS
        for item in media_flag_far_from_incidents(items[:MAX_POINTS]):
            features.append(
                _feature(
                    item.latitude,
                    item.longitude,
                    kind="media",
                    label=f"{item.exhibit_number} — {item.get_kind_display()}",
                    url=urls.media(item),
                    date=media_item_day(item).isoformat(),
                    far_from=[{"reference": incident.reference, "km": km} for incident, km in item.far_from_incidents],
                )
            )
    return {"type": "FeatureCollection", "features": features, "truncated": truncated}


def _incidents(case: Case, filters: dict[str, Any]) -> list[Incident]:
    incidents = Incident.objects.filter(case=case, latitude__isnull=False, longitude__isnull=False)
    if filters.get("date_from"):
        incidents = incidents.filter(start_time__date__gte=filters["date_from"])
    if filters.get("date_to"):
        incidents = incidents.filter(start_time__date__lte=filters["date_to"])
    if filters.get("governorate"):
        incidents = incidents.filter(governorate=filters["governorate"])
    fields = ("id", "case_id", "reference", "title", "latitude", "longitude", "start_time")
    return list(incidents.only(*fields).order_by("start_time", "id")[: MAX_POINTS + 1])


def _media(case: Case, filters: dict[str, Any]) -> list[MediaItem]:
    items = MediaItem.objects.filter(
        case=case, latitude__isnull=False, longitude__isnull=False, withdrawn_at__isnull=True
    )
    # Dated as search dates them: when filmed if known, else when it came in (so an undated photo is not lost).
    items = items.alias(day=media_day())
    if filters.get("date_from"):
        items = items.filter(day__gte=filters["date_from"])
    if filters.get("date_to"):
        items = items.filter(day__lte=filters["date_to"])
    if filters.get("governorate"):
        items = items.filter(incidents__governorate=filters["governorate"]).distinct()
    if filters.get("verification"):
        items = items.filter(verification_status=filters["verification"])
    fields = ("id", "case_id", "exhibit_number", "kind", "latitude", "longitude", "capture_time", "acquired_at")
    items = items.only(*fields).prefetch_related(incident_positions()).order_by(media_moment(), "id")
    return list(items[: MAX_POINTS + 1])


def _feature(latitude, longitude, **properties) -> dict[str, Any]:
    properties.setdefault("far_from", [])
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [float(longitude), float(latitude)]},
        "properties": properties,
    }
