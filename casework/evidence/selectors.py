from dataclasses import dataclass

from django.db.models import Q, QuerySet

from casework.evidence.models import CustodyEvent, MediaArrival, MediaItem, NearDuplicate
from casework.witnesses.models import identity_fields_through


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
