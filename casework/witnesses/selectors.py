"""Reads for witnesses and testimonies: what a person may do with a record, asked in one place."""

from django.db import connection

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

    One query of plain values, the three relations as one UNION ALL sorted by the database: no queryset per
    testimony and relation, and one round trip instead of three (on a busy server each costs a wait for the
    database's turn on a CPU, more than its work for a page of 50). Written in SQL because the ORM's version
    cost more Python than the database's work: three querysets compiled per request, and 150 placeholders that
    the driver converts anew each time. On PostgreSQL the ids go as one array, so the query's text is the same
    for every page and the driver's conversion is cached.
    """
    from casework.evidence.models import MediaItem
    from casework.incidents.models import Incident
    from casework.witnesses.models import TestimonyTranslation

    listed = {testimony_id: {"incidents": [], "recordings": [], "translations": []} for testimony_id in testimony_ids}
    if not testimony_ids:
        return listed
    if connection.vendor == "postgresql":
        among, params = "= ANY(%s)", [list(testimony_ids)] * 3
    else:
        among = f"IN ({', '.join(['%s'] * len(testimony_ids))})"
        params = list(testimony_ids) * 3
    through = Testimony.incidents.through._meta.db_table
    # The sort columns (time, language) stay in the database: only what the list shows comes back.
    sql = f"""
        SELECT relation, testimony_id, id, word, text FROM (
            SELECT 0 AS relation, link.testimony_id, incident.start_time AS at, NULL AS language, incident.id,
                   incident.reference AS word, NULL AS text
            FROM {through} link JOIN {Incident._meta.db_table} incident ON incident.id = link.incident_id
            WHERE link.testimony_id {among}
            UNION ALL
            SELECT 1, testimony_id, acquired_at, NULL, id, NULL, NULL FROM {MediaItem._meta.db_table}
            WHERE testimony_id {among}
            UNION ALL
            SELECT 2, testimony_id, NULL, language, id, language, text FROM {TestimonyTranslation._meta.db_table}
            WHERE testimony_id {among}
        ) listed
        ORDER BY relation, at DESC, language, id
    """  # noqa: S608 (table names from the models; values as parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for relation, testimony_id, row_id, word, text in rows:
        if relation == 0:
            listed[testimony_id]["incidents"].append(word)
        elif relation == 1:
            listed[testimony_id]["recordings"].append(row_id)
        else:
            listed[testimony_id]["translations"].append({"language": word, "text": text})
    return listed
