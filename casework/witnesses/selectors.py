"""Reads for witnesses and testimonies: what a person may do with a record, asked in one place."""

from casework.cases import access
from casework.witnesses.models import Testimony


def testimony_actions(*, testimony: Testimony, user) -> dict[str, bool]:
    """Which review-workflow actions `user` may take on `testimony` now (for pages, the API and the admin).

    The services apply the same rules (Testimony.is_editable / is_submittable / is_reviewable / wrote_or_edited);
    this only saves offering a button that would be refused.
    """
    may_edit = user.has_perm(access.EDIT_RECORDS, testimony.case)
    may_review = user.has_perm(access.REVIEW, testimony.case)
    return {
        "can_edit": may_edit and testimony.is_editable(),
        "can_submit": may_edit and testimony.is_submittable(),
        "can_review": may_review and testimony.is_reviewable() and not testimony.wrote_or_edited(user),
    }


def testimonies_listed_relations(testimony_ids: list[int]) -> dict[int, dict[str, list]]:
    """{testimony id: {"incidents": [references], "recordings": [media ids], "translations": [{language, text}]}}
    for a page of the testimony list, in three queries of plain values, each in the order the records have
    (as prefetch_related would give, without building a queryset per testimony and relation)."""
    from casework.evidence.models import MediaItem
    from casework.witnesses.models import TestimonyTranslation

    listed = {testimony_id: {"incidents": [], "recordings": [], "translations": []} for testimony_id in testimony_ids}
    links = (
        Testimony.incidents.through.objects.filter(testimony_id__in=testimony_ids)
        .order_by("-incident__start_time")
        .values_list("testimony_id", "incident__reference")
    )
    for testimony_id, reference in links:
        listed[testimony_id]["incidents"].append(reference)
    recordings = MediaItem.objects.filter(testimony_id__in=testimony_ids).values_list("testimony_id", "id")
    for testimony_id, media_id in recordings:
        listed[testimony_id]["recordings"].append(media_id)
    translations = TestimonyTranslation.objects.filter(testimony_id__in=testimony_ids).values_list(
        "testimony_id", "language", "text"
    )
    for testimony_id, language, text in translations:
        listed[testimony_id]["translations"].append({"language": language, "text": text})
    return listed
