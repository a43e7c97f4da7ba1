"""Staff forms and the review workflow (server side; the browser journey is in tests/browser)."""

import pytest
from django.db import connection
from django.urls import reverse

from casework.incidents.models import Governorate, Incident, IncidentType, Party, WeaponType
from casework.witnesses.models import Testimony, Witness
from tests.conftest import assert_no_constraint_name
from tests.factories import IncidentFactory, TestimonyFactory, WitnessFactory

pytestmark = pytest.mark.django_db


def incident_post(**overrides) -> dict:
    data = {
        "reference": "INC-100",
        "title": "Airstrike on the Ariha market",
        "description": "Two strikes ten minutes apart.",
        "start_time": "2017-09-19T10:40",
        "date_precision": "exact",
        "governorate": Governorate.objects.get(code="idlib").pk,
        "incident_type": IncidentType.objects.get(code="airstrike").pk,
        "weapons": [WeaponType.objects.get(code="cluster-munition").pk],
        "attributions-TOTAL_FORMS": 1,
        "attributions-INITIAL_FORMS": 0,
        "attributions-0-party": Party.objects.get(code="russian-forces").pk,
        "attributions-0-confidence": "likely",
        "attributions-0-basis": "Aircraft tracked from the airbase by observers.",
        "victims-TOTAL_FORMS": 2,
        "victims-INITIAL_FORMS": 0,
        "victims-0-name": "فاطمة",
        "victims-0-sex": "female",
        "victims-0-age": 30,
        "victims-0-age_band": "adult",
        "victims-0-combatant_status": "civilian",
        "victims-0-status": "killed",
        "victims-1-name": "Omar",
        "victims-1-sex": "male",
        "victims-1-age": 9,
        "victims-1-age_band": "child",
        "victims-1-combatant_status": "civilian",
        "victims-1-status": "killed",
    }
    data.update(overrides)
    return data


def test_create_incident_with_two_victims_and_an_attribution(
    client, intake_worker, case, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    client.force_login(intake_worker)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("incidents:incident_create", args=[case.reference]), incident_post())
    incident = Incident.objects.get(reference="INC-100")
    assert response.status_code == 302
    assert incident.victims.count() == 2 and incident.attributions.get().confidence == "likely"
    assert (incident.civilians_killed, incident.children_killed, incident.adult_women_killed) == (2, 1, 1)
    assert incident.created_by == intake_worker
    page = client.get(response["Location"]).content.decode()
    assert "Aircraft tracked from the airbase" in page and "فاطمة" in page


def test_form_error_keeps_what_was_typed_and_says_where(client, intake_worker, case):
    client.force_login(intake_worker)
    response = client.post(
        reverse("incidents:incident_create", args=[case.reference]),
        incident_post(title="", **{"victims-1-age": 19}),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Two strikes ten minutes apart." in body  # kept
    assert 'value="Omar"' in body  # kept, in the inline row
    assert "This field is required." in body
    assert "The age does not fit this age band" in body
    assert_no_constraint_name(body)
    assert not Incident.objects.filter(reference="INC-100").exists()


def test_edit_from_an_old_version_is_refused_without_losing_the_other_edit(client, intake_worker, case_admin, case):
    incident = IncidentFactory(case=case, reference="INC-200", title="Original")
    url = reverse("incidents:incident_edit", args=[case.reference, incident.pk])
    base = incident_post(reference="INC-200", version=incident.version, **{"victims-TOTAL_FORMS": 0})
    client.force_login(intake_worker)
    assert client.post(url, {**base, "title": "First editor's title"}).status_code == 302
    client.force_login(case_admin)
    response = client.post(url, {**base, "title": "Second editor's title"})  # started from the same version
    assert response.status_code == 400
    assert "Someone else saved this record while you were editing it." in response.content.decode()
    assert "Second editor&#x27;s title" in response.content.decode()  # their typing is still in the form
    incident.refresh_from_db()
    assert incident.title == "First editor's title"


def test_witness_identity_is_encrypted_never_shown_and_kept_when_left_empty(client, intake_worker, case):
    client.force_login(intake_worker)
    create = {
        "pseudonym": "W-900",
        "relationship": "survivor",
        "risk_level": "high",
        "reliability": "unknown",
        "connection": "involved",
        "real_name": "Canary Person 4e1",
        "phone": "+963 900 000 000",
    }
    response = client.post(reverse("witnesses:witness_create", args=[case.reference]), create)
    assert response.status_code == 302
    witness = Witness.objects.get(pseudonym="W-900")
    assert witness.real_name == "Canary Person 4e1"
    with connection.cursor() as cursor:
        cursor.execute("SELECT real_name FROM witnesses_witness WHERE id = %s", [witness.pk])
        assert "Canary" not in cursor.fetchone()[0]
    edit_url = reverse("witnesses:witness_edit", args=[case.reference, witness.pk])
    assert "Canary Person 4e1" not in client.get(edit_url).content.decode()
    assert "Canary Person 4e1" not in client.get(response["Location"]).content.decode()
    client.post(
        edit_url, {**create, "real_name": "", "phone": "", "risk_level": "critical", "version": witness.version}
    )
    witness.refresh_from_db()
    assert (witness.real_name, witness.phone, witness.risk_level) == (
        "Canary Person 4e1",
        "+963 900 000 000",
        "critical",
    )


def test_arabic_testimony_submitted_then_verified_by_another_person(client, intake_worker, reviewer, case):
    witness = WitnessFactory(case=case)
    incident = IncidentFactory(case=case)
    client.force_login(intake_worker)
    response = client.post(
        reverse("witnesses:testimony_create", args=[case.reference]),
        {
            "witness": witness.pk,
            "incidents": [incident.pk],
            "interview_date": "2017-10-04",
            "method": "messaging_app",
            "language": "ar",
            "original_text": "سقطت القنابل على السوق",
            "translations-TOTAL_FORMS": 1,
            "translations-INITIAL_FORMS": 0,
            "translations-0-language": "en",
            "translations-0-text": "The bombs fell on the market",
        },
    )
    testimony = Testimony.objects.get()
    assert response.status_code == 302 and testimony.translations.get().text == "The bombs fell on the market"
    client.post(reverse("witnesses:testimony_submit", args=[case.reference, testimony.pk]), {"version": 1})
    review_url = reverse("witnesses:testimony_review", args=[case.reference, testimony.pk])
    assert client.post(review_url, {"decision": "verify", "version": 2}).status_code == 403  # intake does not review
    client.force_login(reviewer)
    assert witness.pseudonym in client.get(reverse("web:review_queue", args=[case.reference])).content.decode()
    page = client.get(reverse("witnesses:testimony_detail", args=[case.reference, testimony.pk])).content.decode()
    assert 'name="version" value="2"' in page, "the review form names the version the reviewer reads"
    client.post(review_url, {"decision": "verify", "version": 2})
    testimony.refresh_from_db()
    assert (testimony.status, testimony.reviewed_by) == ("verified", reviewer)
    assert [h.status for h in testimony.history.order_by("history_date")] == ["draft", "submitted", "verified"]


def test_author_cannot_review_their_own_testimony(client, case_admin, case):
    testimony = TestimonyFactory(case=case, interviewer=case_admin, created_by=case_admin, status="submitted")
    client.force_login(case_admin)
    response = client.post(
        reverse("witnesses:testimony_review", args=[case.reference, testimony.pk]),
        {"decision": "verify", "version": testimony.version},
        follow=True,
    )
    assert "someone else must review it" in response.content.decode()
    testimony.refresh_from_db()
    assert testimony.status == "submitted"


def test_rejection_needs_a_reason_and_shows_it(client, reviewer, case):
    testimony = TestimonyFactory(case=case, status="submitted")
    client.force_login(reviewer)
    url = reverse("witnesses:testimony_review", args=[case.reference, testimony.pk])
    response = client.post(url, {"decision": "reject", "version": 1}, follow=True)
    assert "Say why the testimony is rejected." in response.content.decode()
    rejection = {"decision": "reject", "reason": "Dates contradict the strike log", "version": 1}
    response = client.post(url, rejection, follow=True)
    assert "Dates contradict the strike log" in response.content.decode()
    queue = client.get(reverse("web:review_queue", args=[case.reference])).content.decode()
    assert "Dates contradict the strike log" in queue


def test_incident_filters(client, analyst, case):
    IncidentFactory(case=case, title="In Idlib")
    daraa = IncidentFactory(case=case, title="In Daraa", governorate=Governorate.objects.get(code="daraa"))
    daraa.weapons.add(WeaponType.objects.get(code="incendiary"))
    client.force_login(analyst)
    url = reverse("web:case_detail", args=[case.reference])
    by_place = client.get(url, {"governorate": daraa.governorate_id}).content.decode()
    assert "In Daraa" in by_place and "In Idlib" not in by_place
    by_weapon = client.get(url, {"weapon": WeaponType.objects.get(code="incendiary").pk}).content.decode()
    assert "In Daraa" in by_weapon and "In Idlib" not in by_weapon


@pytest.mark.parametrize("name", ["incident_list", "victim_list"])
def test_outsider_sees_no_case_page(client, outsider, case, name):
    client.force_login(outsider)
    assert client.get(reverse(f"incidents:{name}", args=[case.reference])).status_code == 404


def test_reviewer_and_analyst_cannot_open_edit_forms(client, reviewer, analyst, case):
    for person in (reviewer, analyst):
        client.force_login(person)
        assert client.get(reverse("incidents:incident_create", args=[case.reference])).status_code == 403
        assert client.get(reverse("witnesses:witness_create", args=[case.reference])).status_code == 403


def test_graphic_media_are_blurred_with_a_warning_until_clicked(client, reviewer, intake_worker, case):
    import io

    from casework.evidence.samples import jpeg_bytes
    from casework.evidence.services import media_ingest_stream, media_process

    item = media_ingest_stream(
        stream=io.BytesIO(jpeg_bytes(seed=70)),
        case=case,
        original_filename="a.jpg",
        source="witness",
        acquired_by=intake_worker,
    ).item
    media_process(item_id=item.pk)
    client.force_login(reviewer)
    detail = reverse("evidence:media_detail", args=[item.pk])
    assert "Graphic content: click to show" not in client.get(detail).content.decode()
    client.post(reverse("evidence:media_graphic", args=[item.pk]), {"is_graphic": "1"})
    for url in (detail, reverse("evidence:media_list", args=[case.reference])):
        body = client.get(url).content.decode()
        assert "Graphic content: click to show" in body and "data-graphic" in body and 'blurred"' in body
    # The item page does not even fetch the graphic original until the person clicks.
    original = reverse("evidence:media_view_original", args=[item.pk])
    body = client.get(detail).content.decode()
    assert f'data-src="{original}"' in body and f'src="{original}"' not in body.replace("data-src", "")
    client.force_login(intake_worker)
    assert client.post(reverse("evidence:media_graphic", args=[item.pk]), {"is_graphic": "0"}).status_code == 403


def test_admin_verify_action_keeps_the_two_person_rule(client, case_admin, reviewer, case):
    from casework.witnesses.models import Testimony as TestimonyModel

    own = TestimonyFactory(case=case, interviewer=case_admin, created_by=case_admin, status="submitted")
    other = TestimonyFactory(case=case, status="submitted")
    case_admin.is_staff = case_admin.is_superuser = True
    case_admin.save()
    client.force_login(case_admin)
    response = client.post(
        reverse("admin:witnesses_testimony_changelist"),
        {"action": "verify_selected", "_selected_action": [own.pk, other.pk]},
        follow=True,
    )
    assert "someone else must review it" in response.content.decode()
    assert TestimonyModel.objects.get(pk=own.pk).status == "submitted"
    assert TestimonyModel.objects.get(pk=other.pk).status == "verified"


def test_media_list_filters_by_kind(client, analyst, intake_worker, case, tmp_path):
    import io

    from casework.evidence.samples import jpeg_bytes, write_video
    from casework.evidence.services import media_ingest_path, media_ingest_stream

    media_ingest_stream(
        stream=io.BytesIO(jpeg_bytes(seed=71)),
        case=case,
        original_filename="a.jpg",
        source="witness",
        acquired_by=intake_worker,
    )
    video = media_ingest_path(
        path=write_video(tmp_path / "v.mp4", seconds=1), case=case, source="witness", acquired_by=intake_worker
    ).item
    client.force_login(analyst)
    body = client.get(reverse("evidence:media_list", args=[case.reference]), {"kind": "video"}).content.decode()
    assert video.exhibit_number in body and "1 record" in body


def test_arabic_text_is_found_by_search(client, analyst, case):
    TestimonyFactory(case=case, original_text="سقطت القنابل العنقودية على السوق")
    TestimonyFactory(case=case, original_text="I saw the helicopter over the school")
    client.force_login(analyst)
    body = client.get(reverse("witnesses:testimony_list", args=[case.reference]), {"q": "العنقودية"}).content.decode()
    assert "سقطت القنابل العنقودية" in body and "helicopter" not in body
    incidents = reverse("web:case_detail", args=[case.reference])
    IncidentFactory(case=case, title="قصف سوق أريحا")
    assert "قصف سوق أريحا" in client.get(incidents, {"q": "أريحا"}).content.decode()
