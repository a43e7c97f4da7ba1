"""Every staff list and detail page runs a fixed number of queries, whatever the number of records: each page's
count is exact (the queries are listed beside it), and the same with twice the records (no N+1)."""

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework.bundles.services import bundle_request
from casework.captures.models import Capture, CaptureArtefact, CaptureCheck
from casework.evidence.samples import jpeg_bytes
from casework.evidence.services import media_ingest_stream, media_process
from casework.incidents.models import LinkCandidate
from casework.notifications.models import Notification, ReviewAssignment
from casework.witnesses.models import Consent
from tests.factories import IncidentFactory, TestimonyFactory, VictimFactory, WitnessFactory

pytestmark = pytest.mark.django_db


def add_records(case, person, *, seed: int) -> dict:
    """One more of each record a page lists, linked as in real use."""
    incident = IncidentFactory(case=case, latitude=Decimal("35.930600"), longitude=Decimal("36.633900"))
    victim = VictimFactory(incident=incident, name="Mohammad Khaled Haddad", source_name="Hospital list")
    VictimFactory(incident=incident, duplicate_of=victim)
    LinkCandidate.objects.create(
        case=case,
        first=victim,
        second=VictimFactory(incident=incident, name="محمد خالد حداد"),
        score=0.9,
        reasons=[["name_parts", "3/3"]],
    )
    witness = WitnessFactory(case=case)
    Consent.objects.create(witness=witness, scope="internal", given_on="2024-01-01", method="written")
    testimony = TestimonyFactory(case=case, witness=witness, interviewer=person, created_by=person, status="submitted")
    testimony.incidents.add(incident)
    item = media_ingest_stream(
        stream=io.BytesIO(jpeg_bytes(seed=seed, latitude=36.2021, longitude=37.1343)),  # far from the incident
        case=case,
        original_filename=f"photo-{seed}.jpg",
        source="witness",
        acquired_by=person,
        incidents=[incident],
        testimony=testimony,
        witness=witness,
        source_url=f"https://example.org/post/{seed}",
    ).item
    media_process(item_id=item.pk)
    bundle = bundle_request(
        case=case, scope="case", incidents=[], recipient="UN", profile="court", purpose="", actor=person
    )
    # Work that finds the person: both records assigned to them, and a notification of every kind.
    ReviewAssignment.objects.create(case=case, testimony=testimony, assignee=person, assigned_at=timezone.now())
    ReviewAssignment.objects.create(case=case, media_item=item, assignee=person, assigned_at=timezone.now())
    for kind, record in [
        ("assigned", {"testimony": testimony}),
        ("assigned", {"media_item": item}),
        ("testimony_rejected", {"testimony": testimony}),
        ("packet_ready", {"bundle": bundle}),
        ("processing_failed", {"media_item": item}),
    ]:
        Notification.objects.create(recipient=person, case=case, kind=kind, actor=person, **record)
    capture = Capture.objects.create(
        case=case, url=f"https://example.org/post/{seed}", requested_by=person, state="done", media_item=item,
        source_status="gone", captured_at=timezone.now(), gone_since=timezone.now(),
    )  # fmt: skip
    capture.incidents.add(incident)
    for kind in ("warc", "screenshot"):
        CaptureArtefact.objects.create(
            capture=capture, kind=kind, file=f"captures/{kind}", sha256="c" * 64, size_bytes=1
        )
    CaptureCheck.objects.create(capture=capture, checked_at=timezone.now(), outcome="gone", http_status=404)
    return {
        "incident": incident, "victim": victim, "witness": witness, "testimony": testimony, "item": item,
        "capture": capture,
    }  # fmt: skip


# Every page starts with the same four queries: the session, the person, their TOTP devices (django-otp),
# and the case with the person's role; the navigation adds two: the person's work counts (unread
# notifications, records waiting for their review, and those of this case, in one query), and whether they may
# see statistics of any case. A list page then counts its rows (the paginator) before it reads them.
PAGES = {
    # No case, so the fourth query is the navigation's first; whether the person may open cases (Django's
    # permissions: their own, their groups'); their cases ("Your cases").
    "web:home": ((), 8),
    # The incident list: count; vocabularies of the filter form (governorate, type, weapon, facility);
    # the page of incidents with their governorate and type; their weapons.
    "web:case_detail": (("reference",), 13),
    "incidents:incident_list": (("reference",), 13),
    # The incident with governorate and type; weapons; facilities; attributions with party; victims with
    # occupation; its sources: media items with their sender (pseudonym only), testimonies with their witness
    # (pseudonym only), the source URLs of every arrival of those items; the last revisions.
    "incidents:incident_detail": (("reference", "incident"), 15),
    # Count; vocabularies of the filter form (occupation, governorate); the page of victims with incident.
    "incidents:victim_list": (("reference",), 10),
    # The victim with incident, occupation and the record it duplicates (with its incident); the records that
    # duplicate it, with their incident; its revisions with who made them (a change that names another record,
    # such as a new occupation, adds one query per kind of record named); the records of its cluster (for the
    # number of sources that documented the person).
    "incidents:victim_detail": (("reference", "victim"), 10),
    # Count of the open pairs; the page of pairs with both records, their incident, governorate, occupation and
    # import (the decision in force a subquery).
    "incidents:linkage_review": (("reference",), 8),
    # Count; the page of witnesses (pseudonyms, no identity columns).
    "witnesses:witness_list": (("reference",), 8),
    # The witness (no identity columns); its consents with who confirmed a name; its testimonies; the media it
    # sent or recorded; its revisions with who made them; its identity changes with who made them (no values).
    "witnesses:witness_detail": (("reference", "witness"), 12),
    # Count; the page of testimonies with their witness. (The bulk actions' incident to link is picked by
    # searching, not from a list of the case's incidents.)
    "witnesses:testimony_list": (("reference",), 8),
    # The testimony with case, witness, reviewer and author; its incidents; its recordings; translations; last
    # revisions.
    "witnesses:testimony_detail": (("reference", "testimony"), 11),
    # Count; the page of items; their incidents. (The upload form's incident and witness pickers, and the bulk
    # actions' incident to link, start empty and search as one types: no query, whatever the case's size.)
    "evidence:media_list": (("reference",), 9),
    # The item with case, acquirer, witness, testimony (with its witness), reviewer; possible duplicates; its
    # incidents; the pseudonym of the witness ticked in the details form's picker; arrivals; custody events.
    # (No case in the URL: the case's row is read with the item, and the navigation has no count of this case.
    # The incident to link is picked by searching, not from a list of the case's incidents.) Its revisions with
    # who made them (a change that names another record adds one query per kind of record).
    "evidence:media_detail": (("item",), 13),
    # The new-testimony form: its pickers start empty (no list of the case's witnesses, incidents, recordings).
    "witnesses:testimony_create": (("reference",), 6),
    # The testimony; the form's initial values: its incidents, the ids of its recordings; the pickers' labels of
    # what is ticked (the witness's pseudonym, the incidents' references and titles, the recordings' exhibit
    # numbers); its translations.
    "witnesses:testimony_edit": (("reference", "testimony"), 13),
    # The reviewers of the case (for "assign to…"); submitted testimonies with witness and assignee;
    # unreviewed media with assignee; their incidents' positions (the far-from-incident flag); recently rejected
    # testimonies.
    "web:review_queue": (("reference",), 11),
    # The map page: the governorate choices of its filter form (the points come from the JSON endpoint).
    "maps:case_map": (("reference",), 7),
    # The map's points (no navigation): incidents with a position; media with GPS; their incidents' positions.
    "maps:case_map_points": (("reference",), 7),
    # Packets with requester; their incidents. (The request form's incident picker starts empty.)
    "bundles:bundle_list": (("reference",), 8),
    # Captures with requester and media item (one query). (The capture form's incident picker starts empty.)
    "captures:capture_list": (("reference",), 7),
    # Captures gone offline with requester and media item.
    "captures:capture_gone": (("reference",), 7),
    # The capture with requester and media item; its artefacts; its incidents; its re-checks.
    "captures:capture_detail": (("reference", "capture"), 10),
    # Count; the page of audit events.
    "audit:case_audit_log": (("reference",), 8),
    # The cases the person may see statistics of; vocabularies (party, governorate ×2, occupation, facility,
    # weapon); monthly totals with incidents by governorate (one query); killed by occupation; facilities;
    # governorate × weapon; the records merged into another record of the same person.
    "statistics:overview": ((), 17),
    # The team with each person.
    "cases:team": (("reference",), 7),
    # No case: the navigation's two; count; the page of notifications with case, actor, witness pseudonym,
    # media item and packet.
    "notifications:notification_list": ((), 7),
    # No case: the navigation's two; testimonies assigned to the person with case and witness; media with case.
    "web:my_review_queue": ((), 7),
}


def page_url(name: str, case, records: dict) -> str:
    args = [case.reference if key == "reference" else records[key].pk for key in PAGES[name][0]]
    return reverse(name, args=args)


def queries_of(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_each_staff_page_runs_a_fixed_number_of_queries(client, case, case_admin, name):
    records = add_records(case, case_admin, seed=1)
    client.force_login(case_admin)
    url = page_url(name, case, records)
    queries_of(client, url)  # once to warm what a running server has cached (content types, the CSP, ...)
    assert queries_of(client, url) == PAGES[name][1]
    for seed in (2, 3, 4):
        add_records(case, case_admin, seed=seed)
    assert queries_of(client, url) == PAGES[name][1], "more records must not mean more queries"


# The case search with hits of every kind: the four first queries; the governorate typed in the filter
# (validated); count; the page of index rows; one query per kind of record on the page (incidents, victims
# with their incident, testimonies with their witness's pseudonym, media items, online captures); the saved
# searches with who saved them; the navigation's two; the filter's list of governorates.
SEARCH_QUERIES = 16


def test_search_page_runs_a_fixed_number_of_queries(client, case, case_admin):
    from django.core.management import call_command

    add_records(case, case_admin, seed=1)
    call_command("search_reindex", stdout=io.StringIO())
    client.force_login(case_admin)
    url = reverse("search:search", args=[case.reference]) + "?governorate=idlib"
    queries_of(client, url)
    assert queries_of(client, url) == SEARCH_QUERIES
    for seed in (2, 3, 4):
        add_records(case, case_admin, seed=seed)
    call_command("search_reindex", stdout=io.StringIO())
    assert queries_of(client, url) == SEARCH_QUERIES, "more records must not mean more queries"
