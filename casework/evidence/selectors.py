import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from casework.evidence.models import CustodyEvent, MediaArrival, MediaItem, NearDuplicate
from casework.geo import haversine_km
from casework.incidents.models import Incident
from casework.witnesses.models import identity_fields_through


def media_moment() -> Coalesce:
    """When a media item is dated, for date filters and their order everywhere (search, the map): when it was
    filmed or photographed if known, else when it came in."""
    return Coalesce("capture_time", "acquired_at")


def media_day() -> TruncDate:
    """media_moment's day in the site's time zone, for filtering by day."""
    return TruncDate(media_moment())


def media_item_day(item: MediaItem) -> dt.date:
    """media_day() of an item already read (with its capture_time and acquired_at)."""
    return timezone.localdate(item.capture_time or item.acquired_at)


def media_for_case(*, case) -> QuerySet[MediaItem]:
    return MediaItem.objects.filter(case=case).for_list().prefetch_related("incidents")


def media_arrivals(*, item: MediaItem) -> QuerySet[MediaArrival]:
    """Every arrival of the item's bytes, first intake first, with who received them and the witness."""
    return (
        item.arrivals.select_related("acquired_by", "witness")
        .defer(*identity_fields_through("witness"))
        .order_by("acquired_at", "pk")
    )


def media_near_duplicates(*, item: MediaItem) -> list[tuple[NearDuplicate, MediaItem]]:
    """Each possible duplicate of `item` with the other item of the pair."""
    pairs = NearDuplicate.objects.filter(Q(first=item) | Q(second=item)).select_related("first", "second")
    return [(pair, pair.second if pair.first_id == item.pk else pair.first) for pair in pairs]


def custody_history(*, target) -> QuerySet[CustodyEvent]:
    return CustodyEvent.objects.filter(object_type=target._meta.label_lower, object_id=str(target.pk)).order_by(
        "sequence"
    )


# Fields a page that lists items by thumbnail and exhibit number never shows: the sender's file name and the
# identifying metadata would be decrypted for nothing, the extracted metadata read for nothing.
NOT_IN_SUMMARIES = ("original_filename", "identifying_metadata", "metadata")


def media_summaries(items: QuerySet[MediaItem]) -> QuerySet[MediaItem]:
    """Items as record pages list them (thumbnail, exhibit number, kind, description, sender by pseudonym),
    in exhibit order; the witness's identity is never read."""
    return (
        items.select_related("witness")
        .defer(*NOT_IN_SUMMARIES, *identity_fields_through("witness"))
        .order_by("exhibit_sequence")
    )


def media_for_incident(*, incident) -> QuerySet[MediaItem]:
    return media_summaries(MediaItem.objects.filter(incidents=incident))


@dataclass(frozen=True)
class OnlineSource:
    """A web address a file came from, with the items that came from it."""

    url: str
    items: tuple[MediaItem, ...]

    @property
    def is_web_address(self) -> bool:
        # Only these become links; anything else is shown as text.
        return self.url.lower().startswith(("https://", "http://"))


def media_online_sources(*, items: list[MediaItem]) -> list[OnlineSource]:
    """Every distinct source URL of `items`, from the first intake and every later arrival of each file, with
    the items each brought (one query)."""
    by_id = {item.pk: item for item in items}
    found: dict[str, dict[int, MediaItem]] = {}
    for item in items:
        if item.source_url:
            found.setdefault(item.source_url, {})[item.pk] = item
    arrivals = (
        MediaArrival.objects.filter(item_id__in=list(by_id)).exclude(source_url="").values_list("source_url", "item_id")
    )
    for url, item_id in arrivals:
        found.setdefault(url, {})[item_id] = by_id[item_id]
    return [
        OnlineSource(url, tuple(sorted(sources.values(), key=lambda item: item.exhibit_sequence)))
        for url, sources in sorted(found.items())
    ]


def media_far_from_incidents(*, item: MediaItem, incidents: Iterable[Incident]) -> list[tuple[Incident, float]]:
    """The incidents among `incidents` (those the item is linked to, already fetched) that lie farther from the
    item's GPS position than CASEWORK_FAR_FROM_INCIDENT_KM, with the distance in km; [] when the item or an
    incident has no position. No query: the caller fetched the incidents with their coordinates."""
    if item.latitude is None or item.longitude is None:
        return []
    limit = settings.CASEWORK_FAR_FROM_INCIDENT_KM
    far = []
    for incident in incidents:
        if incident.latitude is None or incident.longitude is None:
            continue
        distance = haversine_km(
            float(item.latitude), float(item.longitude), float(incident.latitude), float(incident.longitude)
        )
        if distance > limit:
            far.append((incident, round(distance, 1)))
    return far


def incident_positions() -> Prefetch:
    """Prefetch of the items' linked incidents with only what the far-from-incident flag reads."""
    return Prefetch("incidents", queryset=Incident.objects.only("id", "case_id", "reference", "latitude", "longitude"))


def media_flag_far_from_incidents(items: Iterable[MediaItem]) -> list[MediaItem]:
    """The items, each with `far_from_incidents` (see media_far_from_incidents), from their prefetched incidents
    (incident_positions()): no query of its own."""
    items = list(items)
    for item in items:
        item.far_from_incidents = media_far_from_incidents(item=item, incidents=item.incidents.all())
    return items
