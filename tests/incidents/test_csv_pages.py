"""The CSV import page, the export download, the API endpoint and the management commands: who may use them,
and that the page writes nothing until the person confirms."""

import hashlib
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from casework.incidents import tabular
from casework.incidents.models import Attribution, Incident, Party, SpreadsheetImport, Victim
from casework.web import formatting
from tests.factories import IncidentFactory, VictimFactory, csv_bytes, victim_row

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int]:
    return Incident.objects.count(), Victim.objects.count()


def import_url(case) -> str:
    return reverse("incidents:victims_import", args=[case.reference])


def export_url(case) -> str:
    return reverse("incidents:victims_export", args=[case.reference])


def api_url(case) -> str:
    return reverse("api:victims_import", args=[case.reference])


def upload(content: bytes, name: str = "victims.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def check(client, case, content: bytes, name: str = "victims.csv"):
    return client.post(import_url(case), {"file": upload(content, name)})


def confirm(client, case, checked, data=None, **options):
    """Press the confirm button of the page `checked` (with the form's other fields in `data`)."""
    pending = checked.context.get("pending") if checked.context else None
    fields = {"confirm": "1", "token": pending["token"] if pending else "", **(data or {})}
    return client.post(import_url(case), fields, **options)


# The page ---------------------------------------------------------------------------------------------------


def test_check_shows_every_problem_in_a_table_and_writes_nothing(client, intake_worker, case):
    client.force_login(intake_worker)
    content = csv_bytes([victim_row(), victim_row("INC-2", sex="x"), victim_row("INC-3", age="200")])
    response = client.post(import_url(case), {"file": upload(content)})
    assert response.status_code == 400
    body = response.content.decode()
    assert "The file has 2 problems" in body
    assert '<td>3</td><td><code dir="ltr">sex</code>' in body and "<td>4</td>" in body
    assert 'name="confirm"' not in body
    assert counts() == (0, 0)


def test_check_then_confirm_writes_the_file_once(client, intake_worker, case):
    client.force_login(intake_worker)
    content = csv_bytes([victim_row(), victim_row(victim_name="Huda"), victim_row("INC-2")], bom=True)
    checked = check(client, case, content, "september.csv")
    assert checked.status_code == 200
    body = checked.content.decode()
    assert "2 new incidents would be created" in body and "3 victims would be added" in body
    assert 'name="confirm"' in body and "september.csv" in body
    assert counts() == (0, 0)

    response = confirm(client, case, checked)
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:victim_list", args=[case.reference])
    assert counts() == (2, 3)
    assert Incident.objects.get(reference="INC-1").created_by == intake_worker

    again = confirm(client, case, checked, follow=True)
    assert "upload it again" in again.content.decode()
    assert counts() == (2, 3)


def test_confirming_an_older_page_does_not_import_a_file_checked_later_in_another_tab(client, intake_worker, case):
    client.force_login(intake_worker)
    first_tab = check(client, case, csv_bytes([victim_row("INC-1")]))
    check(client, case, csv_bytes([victim_row("INC-2")]))
    response = confirm(client, case, first_tab, follow=True)
    assert "upload it again" in response.content.decode()
    assert counts() == (0, 0)


def test_the_checked_file_is_checked_again_at_confirmation(client, intake_worker, case):
    client.force_login(intake_worker)
    checked = check(client, case, csv_bytes([victim_row()]))
    IncidentFactory(case=case, reference="INC-1", title="Typed in meanwhile")
    response = confirm(client, case, checked)
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert counts() == (1, 0)


def test_cancel_discards_the_checked_file(client, intake_worker, case, isolated_media_root):
    client.force_login(intake_worker)
    checked = check(client, case, csv_bytes([victim_row()]))
    waiting = list(Path(isolated_media_root).rglob("victims-*.csv"))
    assert len(waiting) == 1
    client.post(import_url(case), {"cancel": "1"})
    assert not waiting[0].exists()
    confirm(client, case, checked)
    assert counts() == (0, 0)


def test_a_file_checked_for_one_case_cannot_be_confirmed_into_another(client, case_admin, case, other_case):
    from tests.factories import MembershipFactory

    MembershipFactory(case=other_case, user=case_admin, role="case_admin")
    client.force_login(case_admin)
    checked = check(client, case, csv_bytes([victim_row()]))
    response = confirm(client, other_case, checked)
    assert response.status_code == 302
    assert counts() == (0, 0)


def test_template_download_is_the_header_row(client, case_admin, case):
    client.force_login(case_admin)
    response = client.get(import_url(case), {"template": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode("utf-8") == tabular.BOM + ",".join(tabular.COLUMNS) + "\r\n"


def test_the_page_works_right_to_left_in_arabic(client, intake_worker, case):
    client.force_login(intake_worker)
    client.post(reverse("set_language"), {"language": "ar", "next": "/"})
    response = client.get(import_url(case))
    assert response.status_code == 200
    assert b'dir="rtl"' in response.content and b"?template=csv" in response.content


def test_victim_list_links_to_import_only_for_people_who_may_edit(client, intake_worker, reviewer, case):
    client.force_login(intake_worker)
    body = client.get(reverse("incidents:victim_list", args=[case.reference])).content.decode()
    assert import_url(case) in body and export_url(case) in body
    client.force_login(reviewer)
    body = client.get(reverse("incidents:victim_list", args=[case.reference])).content.decode()
    assert import_url(case) not in body and export_url(case) in body


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("intake_worker", 200), ("case_admin", 200), ("superuser", 200), ("reviewer", 403), ("analyst", 403),
     ("outsider", 404)],
)  # fmt: skip
def test_import_page_permissions(client, request, case, persona, expected):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(import_url(case)).status_code == expected
    checked = check(client, case, csv_bytes([victim_row()]))
    assert checked.status_code == expected
    assert confirm(client, case, checked).status_code in (expected, 302)
    assert counts() == ((1, 1) if expected == 200 else (0, 0))


def test_anonymous_visitor_is_sent_to_sign_in_for_import_and_export(client, case):
    for url in (import_url(case), export_url(case)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.post(import_url(case), {"file": upload(csv_bytes([victim_row()]))})
    assert counts() == (0, 0)


def test_page_explains_the_attribution_columns_and_imports_them(client, intake_worker, case):
    client.force_login(intake_worker)
    assert "perpetrator_party" in client.get(import_url(case)).content.decode()
    attribution = {"perpetrator_party": "russian-forces", "attribution_confidence": "confirmed"}
    content = csv_bytes([victim_row(**attribution, attribution_basis="Tracked from the airbase.")])
    checked = check(client, case, content)
    assert "The new incidents would get 1 attribution." in checked.content.decode()
    assert confirm(client, case, checked).status_code == 302
    incident = Incident.objects.get(reference="INC-1")
    assert [(a.party.code, a.basis) for a in incident.attributions.all()] == [
        ("russian-forces", "Tracked from the airbase.")
    ]


def unnamed_victims_csv() -> bytes:
    return csv_bytes([victim_row("INC-1", victim_name=""), victim_row("INC-1", victim_name="", sex="female")])


def test_page_asks_to_confirm_a_file_imported_before_and_imports_it_again_only_when_ticked(client, intake_worker, case):
    client.force_login(intake_worker)
    content = unnamed_victims_csv()
    confirm(client, case, check(client, case, content, "september.csv"))
    assert counts() == (1, 2)
    first = SpreadsheetImport.objects.get()

    checked = check(client, case, content, "september-copy.csv")
    assert checked.status_code == 200
    body = checked.content.decode()
    when = formatting.format_datetime(first.imported_at)
    assert f"This exact file was imported on {when} by <bdi>intake_worker (Intake / field researcher)</bdi>" in body
    assert 'name="allow_reimport"' in body and 'name="confirm"' in body

    refused = confirm(client, case, checked)
    assert refused.status_code == 400
    assert "Tick the box to import the same file again" in refused.content.decode()
    assert counts() == (1, 2) and SpreadsheetImport.objects.count() == 1

    imported = confirm(client, case, refused, data={"allow_reimport": "1"})
    assert imported.status_code == 302
    assert counts() == (1, 4)
    assert SpreadsheetImport.objects.order_by("id").last().file_name == "september-copy.csv"


def test_page_does_not_ask_about_a_file_never_imported(client, intake_worker, case):
    client.force_login(intake_worker)
    checked = check(client, case, unnamed_victims_csv())
    assert 'name="allow_reimport"' not in checked.content.decode()
    assert confirm(client, case, checked).status_code == 302
    assert counts() == (1, 2)


# Export download --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("intake_worker", 200), ("reviewer", 200), ("analyst", 200), ("case_admin", 200), ("outsider", 404)],
)
def test_export_permissions(client, request, case, persona, expected):
    VictimFactory(incident=IncidentFactory(case=case), name="Secret Name")
    client.force_login(request.getfixturevalue(persona))
    response = client.get(export_url(case))
    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == 'attachment; filename="CW-0042-victims.csv"'
        assert "Secret Name" in b"".join(response.streaming_content).decode("utf-8")
    else:
        assert b"Secret Name" not in response.content


def test_export_download_is_the_file_the_import_reads(client, analyst, case):
    VictimFactory(incident=IncidentFactory(case=case), name="محمد")
    client.force_login(analyst)
    body = b"".join(client.get(export_url(case)).streaming_content).decode("utf-8")
    stream = io.StringIO()
    tabular.victims_csv_export(case, stream)
    assert body == stream.getvalue()


# API --------------------------------------------------------------------------------------------------------


@pytest.fixture
def api():
    return APIClient()


def post_csv(api, case, content: bytes, **fields):
    return api.post(api_url(case), {"file": upload(content), **fields}, format="multipart")


def test_api_dry_run_by_default_then_commit(api, intake_worker, case):
    api.force_authenticate(intake_worker)
    content = csv_bytes([victim_row(), victim_row("INC-2")])
    response = post_csv(api, case, content)
    assert response.status_code == 200
    assert response.json() == {
        "valid": True,
        "committed": False,
        "rows": 2,
        "incidents_created": ["INC-1", "INC-2"],
        "incidents_extended": [],
        "victims_added": 2,
        "attributions_added": 0,
        "sha256": hashlib.sha256(content).hexdigest(),
        "imported_before": [],
        "problems": [],
    }
    assert counts() == (0, 0)
    response = post_csv(api, case, content, commit="true")
    assert response.status_code == 201 and response.json()["committed"] is True
    assert counts() == (2, 2)
    assert set(Incident.objects.values_list("created_by", flat=True)) == {intake_worker.pk}


def test_api_refuses_a_file_imported_before_unless_allow_reimport(api, intake_worker, case):
    api.force_authenticate(intake_worker)
    content = unnamed_victims_csv()
    assert post_csv(api, case, content, commit="true").status_code == 201
    assert counts() == (1, 2)

    for commit in ("false", "true"):
        response = post_csv(api, case, content, commit=commit)
        assert response.status_code == 400
        body = response.json()
        assert body["committed"] is False and body["valid"] is False
        assert [(problem["row"], problem["column"]) for problem in body["problems"]] == [(0, "allow_reimport")]
        assert "This exact file was imported into this case on" in body["problems"][0]["message"]
        assert [(earlier["imported_by"], earlier["file_name"]) for earlier in body["imported_before"]] == [
            ("intake_worker (Intake / field researcher)", "victims.csv")
        ]
        assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert counts() == (1, 2)

    assert post_csv(api, case, content, allow_reimport="true").status_code == 200
    response = post_csv(api, case, content, commit="true", allow_reimport="true")
    assert response.status_code == 201 and response.json()["committed"] is True
    assert counts() == (1, 4) and SpreadsheetImport.objects.count() == 2


def test_api_invalid_file_is_400_with_the_row_problems_and_nothing_written(api, case_admin, case):
    api.force_authenticate(case_admin)
    content = csv_bytes([victim_row(), victim_row("INC-2", age="x")])
    response = post_csv(api, case, content, commit="true")
    assert response.status_code == 400
    body = response.json()
    assert body["valid"] is False and body["committed"] is False
    assert body["problems"] == [{"row": 3, "column": "age", "message": "“x” is not an age in whole years."}]
    assert counts() == (0, 0)


def test_api_without_a_file_is_400(api, intake_worker, case):
    api.force_authenticate(intake_worker)
    response = api.post(api_url(case), {"commit": "false"}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()


def test_api_permissions(api, intake_worker, reviewer, analyst, outsider, case):
    content = csv_bytes([victim_row()])
    for persona, expected in ((reviewer, 403), (analyst, 403), (outsider, 404)):
        api.force_authenticate(persona)
        assert post_csv(api, case, content, commit="true").status_code == expected
    api.force_authenticate(None)
    assert post_csv(api, case, content, commit="true").status_code in (401, 403)
    assert counts() == (0, 0)


def test_api_schema_documents_the_import_request(api, intake_worker):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/cases/{reference}/import/"]["post"]
    request_schema = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    component = schema["components"]["schemas"][request_schema["$ref"].rsplit("/", 1)[1]]
    assert set(component["properties"]) == {"file", "commit", "allow_reimport", "source"}
    assert {"200", "201", "400"} <= set(operation["responses"])


# Management commands ----------------------------------------------------------------------------------------


def test_import_command_is_a_dry_run_by_default(case, tmp_path):
    path = tmp_path / "victims.csv"
    path.write_bytes(csv_bytes([victim_row(), victim_row("INC-2")]))
    out = io.StringIO()
    call_command("import_victims", case.reference, str(path), stdout=out)
    assert "2 incidents would be created" in out.getvalue() and "Dry run" in out.getvalue()
    assert counts() == (0, 0)


def test_import_command_lists_the_problems_and_fails(case, tmp_path):
    path = tmp_path / "victims.csv"
    path.write_bytes(csv_bytes([victim_row(), victim_row("INC-2", governorate="Atlantis")]))
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_victims", case.reference, str(path), "--commit", stdout=out)
    assert "row 3, governorate: " in out.getvalue()
    assert counts() == (0, 0)


def test_import_command_commits_with_the_named_person(case, intake_worker, reviewer, tmp_path):
    path = tmp_path / "victims.csv"
    path.write_bytes(csv_bytes([victim_row()]))
    with pytest.raises(CommandError, match="may not edit"):
        call_command("import_victims", case.reference, str(path), "--commit", "--user", "reviewer")
    out = io.StringIO()
    call_command("import_victims", case.reference, str(path), "--commit", "--user", "intake_worker", stdout=out)
    assert "1 incidents created" in out.getvalue()
    assert Victim.objects.get().incident.created_by == intake_worker


def test_import_command_refuses_a_file_imported_before_unless_allow_reimport(case, tmp_path):
    path = tmp_path / "victims.csv"
    path.write_bytes(unnamed_victims_csv())
    call_command("import_victims", case.reference, str(path), "--commit", stdout=io.StringIO())
    assert counts() == (1, 2)

    for options in ((), ("--commit",)):
        out = io.StringIO()
        with pytest.raises(CommandError, match="1 problem"):
            call_command("import_victims", case.reference, str(path), *options, stdout=out)
        assert "file: This exact file was imported into this case on" in out.getvalue()
        assert "by the command line (no user named)" in out.getvalue()
        assert "--allow-reimport" in out.getvalue()
    assert counts() == (1, 2)

    out = io.StringIO()
    call_command("import_victims", case.reference, str(path), "--commit", "--allow-reimport", stdout=out)
    assert "Imported before: " in out.getvalue() and "2 victims and 0 attributions added" in out.getvalue()
    assert counts() == (1, 4)
    assert list(SpreadsheetImport.objects.values_list("file_name", flat=True)) == ["victims.csv", "victims.csv"]


def test_import_command_refuses_an_unknown_case(db, tmp_path):
    path = tmp_path / "victims.csv"
    path.write_bytes(csv_bytes([victim_row()]))
    with pytest.raises(CommandError, match="No case"):
        call_command("import_victims", "CW-404", str(path))


def test_export_command_to_a_file_and_to_stdout(case, tmp_path):
    VictimFactory(incident=IncidentFactory(case=case), name="فاطمة")
    path = tmp_path / "out.csv"
    call_command("export_victims", case.reference, str(path))
    out = io.StringIO()
    call_command("export_victims", case.reference, stdout=out)
    stream = io.StringIO()
    tabular.victims_csv_export(case, stream)
    assert path.read_bytes().decode("utf-8") == out.getvalue() == stream.getvalue()
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_export_then_import_command_round_trip(case, other_case, tmp_path):
    incident = IncidentFactory(case=case, reference="INC-9")
    VictimFactory(incident=incident, name="سارة", age=None, age_band="child")
    for code in ("russian-forces", "unidentified"):
        party = Party.objects.get(code=code)
        Attribution.objects.create(incident=incident, party=party, confidence="likely", basis="تتبّع الطائرة")
    path = tmp_path / "out.csv"
    call_command("export_victims", case.reference, str(path))
    call_command("import_victims", other_case.reference, str(path), "--commit", stdout=io.StringIO())
    again = tmp_path / "again.csv"
    call_command("export_victims", other_case.reference, str(again))
    assert again.read_bytes() == path.read_bytes()
