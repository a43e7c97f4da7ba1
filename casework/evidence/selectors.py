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
