"""Reads for witnesses and testimonies: what a person may do with a record, asked in one place."""

from django.db.models import DateTimeField, TextField, Value

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
    for a page of the testimony list, each relation in the order its own records have (incidents newest first,
    recordings as MediaItem orders them, translations by language), as prefetch_related would give them.

    One query of plain values, the three relations as one UNION ALL: no queryset per testimony and relation,
    and one round trip to the database instead of three (on a busy server each costs a wait for the database's
    turn on a CPU, more than its work for a page of 50).
    """
    from casework.evidence.models import MediaItem
    from casework.witnesses.models import TestimonyTranslation

    listed = {testimony_id: {"incidents": [], "recordings": [], "translations": []} for testimony_id in testimony_ids}
    if not testimony_ids:
        return listed
    # The same columns in each part: testimony, relation, time, id, word, text (NULL where a part has none).
    no_time = Value(None, output_field=DateTimeField())
    no_text = Value(None, output_field=TextField())
    incidents = Testimony.incidents.through.objects.filter(testimony_id__in=testimony_ids).values_list(
        "testimony_id", Value("incidents"), "incident__start_time", "incident_id", "incident__reference", no_text
    )
    recordings = MediaItem.objects.filter(testimony_id__in=testimony_ids).values_list(
        "testimony_id", Value("recordings"), "acquired_at", "id", no_text, no_text
    )
    translations = TestimonyTranslation.objects.filter(testimony_id__in=testimony_ids).values_list(
        "testimony_id", Value("translations"), no_time, "id", "language", "text"
    )
    rows = incidents.order_by().union(recordings.order_by(), translations.order_by(), all=True)
    parts: dict[str, list[tuple]] = {"incidents": [], "recordings": [], "translations": []}
    for row in rows:
        parts[row[1]].append(row)
    # Each relation in its own order: incidents and recordings newest first, then by id; translations by language.
    for relation in ("incidents", "recordings"):
        parts[relation].sort(key=lambda row: row[3])
        parts[relation].sort(key=lambda row: row[2], reverse=True)
    parts["translations"].sort(key=lambda row: row[4])
    for testimony_id, _relation, _time, _id, reference, _text in parts["incidents"]:
        listed[testimony_id]["incidents"].append(reference)
    for testimony_id, _relation, _time, media_id, _word, _text in parts["recordings"]:
        listed[testimony_id]["recordings"].append(media_id)
    for testimony_id, _relation, _time, _id, language, text in parts["translations"]:
        listed[testimony_id]["translations"].append({"language": language, "text": text})
    return listed
