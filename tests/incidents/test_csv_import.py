"""CSV import of incidents and victims: every problem reported with its row before anything is written, then
all or nothing; the export reads back into an identical file."""

import csv
import hashlib
import io
import os
from datetime import UTC, datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from casework import errors
from casework.errors import Refused
from casework.incidents import services as incident_services
from casework.incidents import tabular
from casework.incidents.models import (
    Attribution,
    Governorate,
    Incident,
    Occupation,
    Party,
    SpreadsheetImport,
    Victim,
    WeaponType,
)
from tests.factories import IncidentFactory, VictimFactory, csv_bytes, incident_row, victim_row

pytestmark = pytest.mark.django_db

COLUMNS = tabular.COLUMNS


def csv_file(rows: list[dict], **options) -> io.BytesIO:
    return io.BytesIO(csv_bytes(rows, **options))


def problems(report) -> dict[tuple[int, str], str]:
    return {(problem.row, problem.column): problem.message for problem in report.problems}


def counts() -> tuple[int, int]:
    return Incident.objects.count(), Victim.objects.count()


# The dry run ------------------------------------------------------------------------------------------------


def test_dry_run_reports_every_problem_with_its_spreadsheet_row_and_column(case):
    IncidentFactory(case=case, reference="OLD-1", title="Shelling of the school")
    rows = [
        victim_row("INC-1", weapons="barrel-bomb; no-such-weapon"),  # row 2
        victim_row("INC-2", governorate="Atlantis", incident_date="15/09/2017"),  # row 3
        victim_row("INC-3", age="forty"),  # row 4
        victim_row("INC-3", age="131"),  # row 5
        victim_row("INC-3", age="18", age_band="child"),  # row 6
        victim_row("INC-3", age="17", age_band="adult"),  # row 7
        victim_row("INC-4", latitude="35.9"),  # row 8
        victim_row("INC-5", sex="woman", civilian_status="combatant"),  # row 9
        victim_row("INC-6", victim_status=""),  # row 10
        {"incident_reference": "INC-7", "victim_name": "Samir", "victim_status": "injured"},  # row 11
        victim_row("INC-8"),  # row 12
        victim_row("INC-8", incident_title="Another title"),  # row 13
        {"incident_reference": "OLD-1", "incident_title": "Airstrike on the market", "victim_status": "killed"},
        victim_row("", victim_name="No incident"),  # row 15
        victim_row("INC-9", latitude="95", longitude="abc", occupation="astronaut"),  # row 16
    ]
    report = tabular.victims_csv_check(case, csv_file(rows))

    found = problems(report)
    assert "no-such-weapon" in found[(2, "weapons")]
    assert "Atlantis" in found[(3, "governorate")]
    assert "not a date" in found[(3, "incident_date")]
    assert "not an age" in found[(4, "age")]
    assert "over 130" in found[(5, "age")]
    assert "contradicts" in found[(6, "age_band")] and "under 18" in found[(6, "age_band")]
    assert "contradicts" in found[(7, "age_band")]
    assert "latitude and longitude" in found[(8, "longitude")]
    assert "female, male, unknown" in found[(9, "sex")]
    assert "civilian, non_civilian, unknown" in found[(9, "civilian_status")]
    assert "Required" in found[(10, "victim_status")]
    for column in ("incident_title", "incident_date", "governorate", "incident_type"):
        assert "Required" in found[(11, column)]
    assert "row 12" in found[(13, "incident_title")]
    assert "already exists" in found[(14, "incident_title")]
    assert "Shelling of the school" in found[(14, "incident_title")]
    assert "Required" in found[(15, "incident_reference")]
    assert "between -90 and 90" in found[(16, "latitude")]
    assert "not a number" in found[(16, "longitude")]
    assert "astronaut" in found[(16, "occupation")]
    assert len(found) == len(report.problems) == 21
    assert [problem.row for problem in report.problems] == sorted(problem.row for problem in report.problems)
    assert not report.is_valid and not report.committed
    assert counts() == (1, 0)


def test_age_18_is_an_adult_and_17_a_child(case):
    rows = [
        victim_row(age="18", age_band="adult"),
        victim_row(age="17", age_band="child"),
        victim_row(age="", age_band="child"),
        victim_row(age="0", age_band="unknown"),
    ]
    report = tabular.victims_csv_check(case, csv_file(rows))
    assert report.problems == []
    assert (report.incidents_created, report.victims_added) == (["INC-1"], 4)


def test_unknown_column_is_reported_in_the_header_row_and_the_rows_still_checked(case):
    columns = [*COLUMNS, "Mother's name"]
    report = tabular.victims_csv_check(case, csv_file([victim_row(sex="x")], columns=columns))
    found = problems(report)
    assert "Unknown column “Mother's name”" in found[(1, "Mother's name")]
    assert "female, male, unknown" in found[(2, "sex")]


def test_a_file_without_the_reference_column_or_with_a_column_twice_is_refused(case):
    no_reference = tabular.victims_csv_check(case, csv_file([victim_row()], columns=COLUMNS[1:]))
    assert problems(no_reference) == {(1, "incident_reference"): "The column “incident_reference” is missing."}
    twice = tabular.victims_csv_check(case, csv_file([victim_row()], columns=[*COLUMNS, "SEX"]))
    assert (1, "sex") in problems(twice)
    empty = tabular.victims_csv_check(case, io.BytesIO(b""))
    assert "empty" in empty.problems[0].message


def test_headers_in_any_case_and_order_and_optional_columns_left_out(case):
    columns = ["Victim_Status", "INCIDENT_REFERENCE", "governorate", "Incident_Type", "incident_date", "incident_title"]
    report = tabular.victims_csv_check(case, csv_file([victim_row()], columns=columns))
    assert report.problems == [] and report.victims_added == 1


def test_a_row_with_every_victim_cell_empty_is_an_incident_without_victims(case, intake_worker):
    report = tabular.victims_csv_import(case, csv_file([incident_row()]), intake_worker)
    assert report.committed and report.victims_added == 0
    assert Incident.objects.get(case=case, reference="INC-1").victims.count() == 0


def test_blank_lines_are_skipped_but_counted_as_rows(case):
    data = csv_bytes([victim_row()]) + b"\r\n" + csv_bytes([victim_row(sex="x")]).split(b"\r\n", 1)[1]
    report = tabular.victims_csv_check(case, io.BytesIO(data))
    assert list(problems(report)) == [(4, "sex")]


def test_vocabulary_by_code_english_or_arabic_name_in_any_case(case, intake_worker):
    maarat = Governorate.objects.create(case=case, code="maarat", name="Maarat al-Numan", name_ar="معرة النعمان")
    Governorate.objects.create(case=None, code="retired", name="Retired term", is_active=False)
    rows = [
        victim_row("INC-1", governorate="IDLIB", incident_type="Airstrike", weapons="Barrel bomb;ذخائر عنقودية"),
        victim_row("INC-2", governorate="معرة النعمان", incident_type="غارة جوية", occupation="TEACHER"),
        victim_row("INC-3", governorate="retired"),
    ]
    report = tabular.victims_csv_check(case, csv_file(rows))
    assert list(problems(report)) == [(4, "governorate")]

    report = tabular.victims_csv_import(case, csv_file(rows[:2]), intake_worker)
    assert report.committed
    first, second = Incident.objects.get(reference="INC-1"), Incident.objects.get(reference="INC-2")
    assert first.governorate.code == "idlib" and first.incident_type.code == "airstrike"
    assert {weapon.code for weapon in first.weapons.all()} == {"barrel-bomb", "cluster-munition"}
    assert second.governorate == maarat
    assert second.victims.get().occupation.code == "teacher"


def test_another_cases_vocabulary_terms_are_not_available(case, other_case):
    Governorate.objects.create(case=other_case, code="daraa-city", name="Daraa city")
    report = tabular.victims_csv_check(case, csv_file([victim_row(governorate="daraa-city")]))
    assert list(problems(report)) == [(2, "governorate")]


def test_choices_accept_english_labels_and_blank_cells_take_the_form_defaults(case, intake_worker):
    rows = [victim_row(sex="Female", victim_status="Injured", age_band="Adult (18 or over)", date_precision="Estimate")]
    assert tabular.victims_csv_import(case, csv_file(rows), intake_worker).committed
    victim = Victim.objects.get()
    assert (victim.sex, victim.status, victim.age_band, victim.incident.date_precision) == (
        "female", "injured", "adult", "estimate"
    )  # fmt: skip
    tabular.victims_csv_import(case, csv_file([victim_row("INC-2", sex="", age_band="", civilian_status="")]), None)
    victim = Victim.objects.get(incident__reference="INC-2")
    assert (victim.sex, victim.age_band, victim.combatant_status) == ("unknown", "unknown", "civilian")
    assert victim.age is None


def test_rows_of_one_incident_may_leave_its_columns_blank_after_the_first(case, intake_worker):
    rows = [
        victim_row(latitude="35.93", longitude="36.63", weapons="barrel-bomb"),
        {"incident_reference": "INC-1", "victim_name": "Huda", "sex": "female", "victim_status": "killed"},
        victim_row(incident_date="2017-09-15T00:00:00+00:00", weapons="Barrel bomb", victim_name="Omar"),
    ]
    report = tabular.victims_csv_import(case, csv_file(rows), intake_worker)
    assert report.problems == []
    assert (report.incidents_created, report.victims_added) == (["INC-1"], 3)
    incident = Incident.objects.get()
    assert incident.latitude == Decimal("35.93") and incident.victims.count() == 3


def test_existing_incident_gets_victims_when_its_columns_agree_or_are_blank(case, intake_worker):
    existing = IncidentFactory(
        case=case, reference="OLD-1", title="Market", start_time=datetime(2017, 9, 15, 14, 30, tzinfo=UTC)
    )
    VictimFactory(incident=existing)
    rows = [
        {"incident_reference": "OLD-1", "victim_name": "Layla", "victim_status": "injured"},
        victim_row("OLD-1", incident_title="Market", incident_date="2017-09-15", victim_name="Karim"),
        victim_row("OLD-1", incident_title="Market", incident_date="2017-09-15T14:30:00+00:00"),
    ]
    report = tabular.victims_csv_import(case, csv_file(rows), intake_worker)
    assert report.problems == []
    assert (report.incidents_created, report.incidents_extended, report.victims_added) == ([], ["OLD-1"], 3)
    existing.refresh_from_db()
    assert existing.victims.count() == 4 and existing.title == "Market"


def test_existing_incident_with_different_values_is_a_problem_for_each_column(case):
    IncidentFactory(case=case, reference="OLD-1", title="Market", start_time=datetime(2017, 9, 15, 14, 30, tzinfo=UTC))
    rows = [victim_row("OLD-1", incident_title="Market", incident_date="2017-09-16", governorate="aleppo")]
    found = problems(tabular.victims_csv_check(case, csv_file(rows)))
    assert set(found) == {(2, "incident_date"), (2, "governorate")}
    assert "2017-09-15T14:30:00+00:00" in found[(2, "incident_date")]
    assert "idlib" in found[(2, "governorate")]


def test_the_same_reference_in_another_case_is_a_different_incident(case, other_case):
    IncidentFactory(case=other_case, reference="INC-1", title="Elsewhere")
    report = tabular.victims_csv_check(case, csv_file([victim_row()]))
    assert report.problems == [] and report.incidents_created == ["INC-1"]


def test_dry_run_queries_do_not_grow_with_rows(case):
    IncidentFactory(case=case, reference="OLD-1")
    blanks = {"incident_title": "", "incident_date": "", "governorate": "", "incident_type": ""}
    small = [victim_row("OLD-1", **blanks)]
    large = [victim_row("OLD-1", **blanks) for _ in range(40)] + [
        victim_row(f"INC-{n}", weapons="mortar") for n in range(40)
    ]
    with CaptureQueriesContext(connection) as small_queries:
        assert tabular.victims_csv_check(case, csv_file(small)).is_valid
    with CaptureQueriesContext(connection) as large_queries:
        assert tabular.victims_csv_check(case, csv_file(large)).is_valid
    # earlier imports of the same file, six vocabularies, the existing incidents (with governorate and type),
    # their weapons, their facilities, their attributions (with party), their named victims (a file imported twice)
    assert len(small_queries) == len(large_queries) == 12


def test_dry_run_summary_counts_and_writes_nothing(case):
    IncidentFactory(case=case, reference="OLD-1")
    rows = [victim_row("INC-1"), victim_row("INC-1"), incident_row("INC-2"), victim_row("OLD-1", incident_title="")]
    rows[3].update(incident_date="", governorate="", incident_type="")
    before = counts()
    report = tabular.victims_csv_check(case, csv_file(rows))
    assert report.as_dict() == {
        "valid": True,
        "committed": False,
        "rows": 4,
        "incidents_created": ["INC-1", "INC-2"],
        "incidents_extended": ["OLD-1"],
        "victims_added": 3,
        "attributions_added": 0,
        "sha256": hashlib.sha256(csv_bytes(rows)).hexdigest(),
        "imported_before": [],
        "problems": [],
    }
    assert counts() == before


# Files ------------------------------------------------------------------------------------------------------


def test_utf8_with_a_bom_as_excel_writes_it_and_arabic_survives(case, intake_worker):
    rows = [victim_row(incident_title="غارة على السوق", victim_name="محمد الأحمد", notes="شاهد عيان")]
    report = tabular.victims_csv_import(case, csv_file(rows, bom=True), intake_worker)
    assert report.committed, report.problems
    victim = Victim.objects.get()
    assert (victim.name, victim.notes, victim.incident.title) == ("محمد الأحمد", "شاهد عيان", "غارة على السوق")


def test_semicolon_separated_files_from_european_excel_are_read(case):
    rows = [victim_row(weapons="barrel-bomb;mortar")]
    report = tabular.victims_csv_check(case, csv_file(rows, delimiter=";"))
    assert report.problems == [] and report.victims_added == 1


def test_a_file_that_is_not_utf8_is_one_clear_problem(case):
    data = csv_bytes([victim_row(victim_name="محمد")]).decode().encode("cp1256")
    report = tabular.victims_csv_check(case, io.BytesIO(data))
    assert len(report.problems) == 1 and "not UTF-8" in report.problems[0].message


def test_formula_like_text_is_neutralised_on_export_and_restored_on_import(case, other_case, intake_worker):
    VictimFactory(incident=IncidentFactory(case=case), name='=HYPERLINK("http://x")', notes="'=already")
    exported = io.StringIO()
    tabular.victims_csv_export(case, exported)
    assert "'=HYPERLINK" in exported.getvalue() and "''=already" in exported.getvalue()
    assert tabular.victims_csv_import(other_case, io.StringIO(exported.getvalue()), intake_worker).committed
    victim = Victim.objects.get(incident__case=other_case)
    assert (victim.name, victim.notes) == ('=HYPERLINK("http://x")', "'=already")


# Commit -----------------------------------------------------------------------------------------------------


def test_commit_writes_everything_and_the_tolls_of_each_touched_incident_at_once(case, intake_worker):
    untouched = IncidentFactory(case=case, reference="OLD-0")
    extended = IncidentFactory(case=case, reference="OLD-1")
    rows = [
        victim_row(
            "INC-1",
            victim_name="Ahmad",
            weapons="barrel-bomb;mortar",
            facilities_hit="market",
            age="12",
            age_band="child",
        ),
        victim_row("INC-1", victim_name="Fatima", sex="female"),
        incident_row("INC-2"),
        {"incident_reference": "OLD-1", "victim_status": "injured"},
        {"incident_reference": "OLD-0"},
    ]
    report = tabular.victims_csv_import(case, csv_file(rows), intake_worker)
    assert report.committed and report.problems == []
    created = Incident.objects.get(case=case, reference="INC-1")
    assert created.created_by == intake_worker
    assert created.history.get().history_user == intake_worker
    assert {f.code for f in created.facilities_hit.all()} == {"market"}
    assert [victim.name for victim in created.victims.order_by("id")] == ["Ahmad", "Fatima"]
    assert Victim.objects.filter(incident=created).first().history.get().history_user == intake_worker
    created.refresh_from_db()
    extended.refresh_from_db()
    untouched.refresh_from_db()
    assert (created.civilians_killed, created.children_killed) == (2, 1), "tolls written with the victims"
    assert extended.injured == 1 and extended.tolls_computed_at is not None
    assert untouched.tolls_computed_at is None, "an incident the file does not touch is left alone"


def test_a_problem_on_the_last_row_means_nothing_is_written(case, intake_worker):
    IncidentFactory(case=case, reference="OLD-1")
    rows = [victim_row(f"INC-{n}") for n in range(1, 30)] + [{"incident_reference": "OLD-1", "victim_status": "dead"}]
    before = counts()
    report = tabular.victims_csv_import(case, csv_file(rows), intake_worker)
    assert not report.committed
    assert list(problems(report)) == [(31, "victim_status")]
    assert counts() == before
    assert Incident.objects.get(reference="OLD-1").tolls_computed_at is None


def test_a_database_error_midway_rolls_back_the_incidents_already_created(case, intake_worker):
    rows = [victim_row("INC-1"), victim_row("INC-2")]
    before = counts()
    with (
        mock.patch.object(incident_services, "bulk_create_with_history", side_effect=DatabaseError("disk full")),
        pytest.raises(DatabaseError),
    ):
        tabular.victims_csv_import(case, csv_file(rows), intake_worker)
    assert counts() == before


def test_a_database_error_on_the_second_incident_rolls_back_the_first(case, intake_worker):
    original_save = Incident.save

    def failing_save(self, *args, **kwargs):
        if self.reference == "INC-2":
            raise DatabaseError("connection lost")
        return original_save(self, *args, **kwargs)

    before = counts()
    with mock.patch.object(Incident, "save", failing_save), pytest.raises(DatabaseError):
        tabular.victims_csv_import(case, csv_file([victim_row("INC-1"), victim_row("INC-2")]), intake_worker)
    assert counts() == before


# Export -----------------------------------------------------------------------------------------------------


def exported(case) -> str:
    stream = io.StringIO()
    tabular.victims_csv_export(case, stream)
    return stream.getvalue()


def test_export_then_import_into_an_empty_case_then_export_gives_the_same_file(case, other_case, intake_worker):
    market = IncidentFactory(
        case=case,
        reference="INC-1",
        title="غارة على سوق معرة النعمان",
        start_time=datetime(2017, 9, 15, 14, 30, 5, tzinfo=UTC),
        date_precision="estimate",
        district="معرة النعمان",
        locality="Market, east side",
        latitude=Decimal("35.647800"),
        longitude=Decimal("36.674200"),
    )
    market.weapons.set(WeaponType.objects.filter(code__in=["barrel-bomb", "cluster-munition"]))
    teacher = Occupation.objects.get(code="teacher", case=None)
    VictimFactory(incident=market, name="محمد الأحمد", sex="male", age=None, age_band="unknown", occupation=teacher)
    VictimFactory(incident=market, name="", sex="female", age=None, age_band="child", status="injured")
    VictimFactory(incident=market, name='Huda, "Umm Ali"', sex="female", age=34, notes="line one\nline two")
    IncidentFactory(case=case, reference="INC-2", title="No victims yet", start_time=datetime(2017, 9, 1, tzinfo=UTC))

    first = exported(case)
    assert first.startswith(tabular.BOM)
    lines = list(csv.reader(io.StringIO(first.removeprefix(tabular.BOM))))
    assert lines[0] == COLUMNS
    assert lines[1][:3] == ["INC-2", "No victims yet", "2017-09-01"] and lines[1][12:] == [""] * 12
    assert lines[2][COLUMNS.index("weapons")] == "barrel-bomb;cluster-munition"
    assert lines[2][COLUMNS.index("age")] == "" and lines[2][COLUMNS.index("occupation")] == "teacher"
    assert len(lines) == 5

    report = tabular.victims_csv_import(other_case, io.BytesIO(first.encode("utf-8")), intake_worker)
    assert report.committed, report.problems
    assert exported(other_case) == first


def test_export_of_an_empty_case_is_the_header(case):
    assert exported(case) == tabular.victims_csv_template() == tabular.BOM + ",".join(COLUMNS) + "\r\n"


def test_export_queries_do_not_grow_with_incidents_or_victims(case, django_assert_num_queries):
    for n in range(5):
        incident = IncidentFactory(case=case)
        incident.weapons.set(WeaponType.objects.all()[:2])
        VictimFactory.create_batch(n, incident=incident)
    # incidents (with governorate and type), weapons, facilities, attributions (with party), victims (with
    # occupation)
    with django_assert_num_queries(5):
        text = exported(case)
    assert text.count("\r\n") == 1 + 1 + 1 + 2 + 3 + 4


def test_a_file_imported_twice_is_caught_by_the_dry_run(case, intake_worker):
    rows = [
        victim_row(victim_name="Huda", sex="female", age="31"),
        victim_row(victim_name="Omar", sex="male", age="9"),
        victim_row(victim_name="", sex="male", victim_status="injured"),
    ]
    assert tabular.victims_csv_import(case, csv_file(rows), intake_worker).committed
    before = counts()
    again = tabular.victims_csv_check(case, csv_file(rows), allow_reimport=True)
    assert sorted(problems(again)) == [(2, "victim_name"), (3, "victim_name")], "unnamed victims cannot be matched"
    assert (
        "Huda, with the same sex, age and status, is already recorded in incident INC-1"
        in problems(again)[(2, "victim_name")]
    )
    assert not tabular.victims_csv_import(case, csv_file(rows), intake_worker, allow_reimport=True).committed
    assert counts() == before


def test_the_same_person_twice_in_one_file_is_a_problem_but_namesakes_are_not(case):
    rows = [
        victim_row(victim_name="Huda", sex="female", age="31"),
        victim_row(victim_name="Huda", sex="female", age="6"),
        victim_row(victim_name="huda ", sex="female", age="31"),
    ]
    report = tabular.victims_csv_check(case, csv_file(rows))
    assert problems(report) == {(4, "victim_name"): "The same person as on row 2 (same name, sex, age and status)."}


# A stray quotation mark -------------------------------------------------------------------------------------


def with_stray_quote(rows: list[dict]) -> io.BytesIO:
    """The file of `rows`, where a notes cell "STRAY ..." starts with a quotation mark that is never closed, as a
    person typing `"she said` into a spreadsheet cell saved by a program that does not quote it."""
    return io.BytesIO(csv_bytes(rows).replace(b"STRAY", b'"she said'))


@pytest.mark.parametrize("closed_later", [False, True], ids=["never-closed", "closed-rows-later"])
def test_a_stray_quotation_mark_is_a_problem_on_its_row_and_nothing_is_written(case, intake_worker, closed_later):
    IncidentFactory(case=case, reference="OLD-1")
    rows = [
        victim_row("INC-1"),  # row 2
        victim_row("INC-1", notes="STRAY the market was full"),  # row 3
        victim_row("INC-2"),  # row 4
        victim_row("INC-2", notes='"quoted", as it should be' if closed_later else "plain"),  # row 5
        victim_row("INC-3"),  # row 6
    ]
    before = counts()

    report = tabular.victims_csv_check(case, with_stray_quote(rows))
    assert not report.is_valid
    found = problems(report)
    assert list(found) == [(3, "")]
    assert "quotation mark" in found[(3, "")]

    report = tabular.victims_csv_import(case, with_stray_quote(rows), intake_worker)
    assert not report.committed and list(problems(report)) == [(3, "")]
    assert counts() == before


def test_quotation_marks_inside_a_cell_are_read_as_text(case, intake_worker):
    content = csv_bytes([victim_row(notes="MIDDLE")]).replace(b"MIDDLE", b'She said "run" and left')
    report = tabular.victims_csv_import(case, io.BytesIO(content), intake_worker)
    assert report.committed, report.problems
    assert Victim.objects.get().notes == 'She said "run" and left'


def test_a_stray_quotation_mark_in_the_header_row_is_the_one_problem(case):
    report = tabular.victims_csv_check(case, io.BytesIO(b'incident_reference,"notes\r\nINC-1,x\r\n'))
    assert [(problem.row, problem.column) for problem in report.problems] == [(1, "")]
    assert "quotation mark" in report.problems[0].message


# Matching what people type ----------------------------------------------------------------------------------


def test_vocabulary_matches_whatever_the_diacritics_hyphens_and_letter_forms(case, intake_worker):
    Occupation.objects.create(case=case, code="killed-journalist", name="Journalist", name_ar="صحفي قُتل")
    rows = [
        victim_row("INC-1", weapons="Cluster_Munition; barrel bomb", governorate="ادلب", incident_type="غارة جوية"),
        victim_row("INC-2", weapons="ذخائرُ عنقوديه", governorate="حماه", incident_type="AIRSTRIKE"),
        victim_row("INC-3", governorate="Rural_Damascus", occupation="صحفي قتل", age="٣٤", age_band="Adult"),
        victim_row(
            "INC-4", governorate="rural  damascus", facilities_hit="Medical-Facility;مستشفى", incident_type="غـارة"
        ),
    ]
    report = tabular.victims_csv_check(case, csv_file(rows))
    assert list(problems(report)) == [(5, "incident_type"), (5, "facilities_hit")], "different words stay different"

    report = tabular.victims_csv_import(case, csv_file(rows[:3]), intake_worker)
    assert report.committed, report.problems
    first, second, third = (Incident.objects.get(reference=f"INC-{n}") for n in (1, 2, 3))
    assert {weapon.code for weapon in first.weapons.all()} == {"cluster-munition", "barrel-bomb"}
    assert first.governorate.code == "idlib" and second.governorate.code == "hama"
    assert {weapon.code for weapon in second.weapons.all()} == {"cluster-munition"}
    assert third.governorate.code == "rural-damascus"
    assert third.victims.get().occupation.code == "killed-journalist" and third.victims.get().age == 34


def test_choices_match_with_hyphens_spaces_and_arabic_labels(case, intake_worker):
    rows = [
        victim_row(civilian_status="Non-civilian", victim_status="KILLED", date_precision="Day_Unknown"),
        victim_row(civilian_status="non civilian", victim_status="قتل", sex="انثي", date_precision="unknown day"),
    ]
    report = tabular.victims_csv_import(case, csv_file(rows), intake_worker)
    assert report.committed, report.problems
    assert set(Victim.objects.values_list("combatant_status", "status")) == {("non_civilian", "killed")}
    assert Victim.objects.filter(sex="female").count() == 1
    assert Incident.objects.get().date_precision == "unknown_day"


def test_header_names_match_with_spaces_hyphens_and_case(case):
    columns = ["Incident Reference", "incident-title", "INCIDENT_DATE", "Governorate", "Incident Type", "Victim Status"]
    report = tabular.victims_csv_check(case, csv_file([victim_row()], columns=columns))
    assert report.problems == [] and report.victims_added == 1
    twice = tabular.victims_csv_check(case, csv_file([victim_row()], columns=[*COLUMNS, "Victim-Name"]))
    assert (1, "victim_name") in problems(twice)


def test_the_same_person_twice_is_found_whatever_the_hamza_or_diacritics(case):
    rows = [
        victim_row(victim_name="أحمد الحسن", sex="male", age="20"),
        victim_row(victim_name="احمد الحَسن", sex="male", age="20"),
    ]
    assert list(problems(tabular.victims_csv_check(case, csv_file(rows)))) == [(3, "victim_name")]


# The same file again ----------------------------------------------------------------------------------------


def unnamed_victims_file() -> bytes:
    """Victims nobody could name: nothing in the rows tells that they are recorded already."""
    return csv_bytes(
        [victim_row("INC-1", victim_name=""), victim_row("INC-1", victim_name="", sex="female"), incident_row("INC-2")]
    )


def test_each_committed_import_is_recorded_with_the_files_hash_and_who(case, intake_worker):
    content = unnamed_victims_file()
    report = tabular.victims_csv_import(case, io.BytesIO(content), intake_worker, file_name="/home/x/september.csv")
    assert report.committed
    record = SpreadsheetImport.objects.get()
    assert (record.case, record.sha256, record.file_name, record.imported_by) == (
        case, hashlib.sha256(content).hexdigest(), "september.csv", intake_worker
    )  # fmt: skip
    assert (record.rows, record.incidents_created, record.incidents_extended, record.victims_added) == (3, 2, 0, 2)
    tabular.victims_csv_check(case, io.BytesIO(content), allow_reimport=True)
    tabular.victims_csv_import(case, csv_file([victim_row(age="x")]), intake_worker)
    assert SpreadsheetImport.objects.count() == 1, "neither a dry run nor a refused import is recorded"


def test_a_file_of_unnamed_victims_imported_again_is_refused_unless_confirmed(case, intake_worker, analyst):
    content = unnamed_victims_file()
    assert tabular.victims_csv_import(case, io.BytesIO(content), intake_worker, file_name="september.csv").committed
    before = counts()
    first = SpreadsheetImport.objects.get()

    for report in (
        tabular.victims_csv_check(case, io.BytesIO(content)),
        tabular.victims_csv_import(case, io.BytesIO(content), intake_worker),
    ):
        assert not report.committed and report.reimport_refused and report.problems_in_file == []
        assert list(problems(report)) == [(0, "allow_reimport")]
        message = problems(report)[(0, "allow_reimport")]
        assert "This exact file was imported into this case on" in message
        assert date_format(timezone.localtime(first.imported_at), "DATETIME_FORMAT") in message
        assert "intake_worker (Intake / field researcher)" in message
        assert [(earlier.file_name, earlier.victims_added) for earlier in report.imported_before] == [
            ("september.csv", 2)
        ]
    assert counts() == before and SpreadsheetImport.objects.count() == 1

    again = tabular.victims_csv_import(case, io.BytesIO(content), analyst, allow_reimport=True)
    assert again.committed and again.problems == [] and len(again.imported_before) == 1
    assert Victim.objects.count() == 4, "the person confirmed: the victims are added again"
    assert SpreadsheetImport.objects.count() == 2


def test_the_same_file_into_another_case_or_a_changed_file_is_not_a_reimport(case, other_case, intake_worker):
    content = unnamed_victims_file()
    assert tabular.victims_csv_import(case, io.BytesIO(content), intake_worker).committed
    assert tabular.victims_csv_check(other_case, io.BytesIO(content)).is_valid
    changed = content.replace(b"INC-2", b"INC-3")
    assert tabular.victims_csv_check(case, io.BytesIO(changed)).is_valid


def test_an_import_from_the_command_line_without_a_user_is_named_so(case):
    content = unnamed_victims_file()
    assert tabular.victims_csv_import(case, io.BytesIO(content), None).committed
    report = tabular.victims_csv_check(case, io.BytesIO(content))
    assert report.imported_before[0].imported_by == "the command line (no user named)"


@pytest.mark.skipif(
    connection.vendor != "postgresql" and os.environ.get("CI") != "true",
    reason="PostgreSQL's planner statistics; CI runs on PostgreSQL, local runs on SQLite need not",
)
def test_a_committed_import_refreshes_the_planner_statistics_on_postgresql(
    case, intake_worker, django_capture_on_commit_callbacks
):
    assert connection.vendor == "postgresql"

    def planner_rows() -> dict[str, float]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, reltuples FROM pg_class WHERE relname IN ('incidents_incident', 'incidents_victim')"
            )
            return dict(cursor.fetchall())

    rows = [victim_row(f"INC-{n % 7}") for n in range(37)]
    before = planner_rows()
    with django_capture_on_commit_callbacks(execute=True):
        assert tabular.victims_csv_check(case, csv_file(rows)).is_valid
    assert planner_rows() == before, "a dry run writes nothing, not even statistics"
    with django_capture_on_commit_callbacks(execute=True):
        assert tabular.victims_csv_import(case, csv_file(rows), intake_worker).committed
    assert planner_rows() == {"incidents_incident": 7, "incidents_victim": 37}


# Attributions -----------------------------------------------------------------------------------------------


def attribution_cells(party: str, confidence: str, basis: str) -> dict:
    return {"perpetrator_party": party, "attribution_confidence": confidence, "attribution_basis": basis}


def attributions_of(reference: str, case=None) -> list[tuple[str, str, str]]:
    rows = Attribution.objects.filter(incident__reference=reference).order_by("id")
    if case is not None:
        rows = rows.filter(incident__case=case)
    return [(row.party.code, row.confidence, row.basis) for row in rows]


def test_an_incident_held_on_several_parties_lists_one_per_row(case, intake_worker):
    russian = attribution_cells("القوات الروسية", "مؤكد", "The aircraft was tracked from Hmeimim, two observatories.")
    government = attribution_cells("Syrian_Government_Forces", "possible", "Official media claimed; see W-012.")
    rows = [
        victim_row("INC-1", **russian),  # row 2
        victim_row("INC-1", **government),  # row 3
        victim_row("INC-1", **russian),  # row 4: the same attribution again, as on row 2
        victim_row("INC-1"),  # row 5: a victim, no attribution on this row
        incident_row("INC-2", **attribution_cells("isis", "Likely", "Claimed on its channel.")),  # row 6
    ]
    report = tabular.victims_csv_check(case, csv_file(rows))
    assert report.problems == [] and (report.victims_added, report.attributions_added) == (4, 3)

    report = tabular.victims_csv_import(case, csv_file(rows), intake_worker)
    assert report.committed, report.problems
    assert attributions_of("INC-1") == [
        ("russian-forces", "confirmed", "The aircraft was tracked from Hmeimim, two observatories."),
        ("syrian-government-forces", "possible", "Official media claimed; see W-012."),
    ]
    assert attributions_of("INC-2") == [("isis", "likely", "Claimed on its channel.")]
    assert Attribution.objects.first().history.get().history_user == intake_worker
    assert SpreadsheetImport.objects.get().attributions_added == 3


def test_attribution_cells_must_name_the_party_and_give_confidence_and_basis(case, other_case, intake_worker):
    Party.objects.create(case=other_case, code="their-militia", name="Their militia")
    rows = [
        victim_row("INC-1", **attribution_cells("russian-forces", "", "")),  # row 2
        victim_row("INC-2", **attribution_cells("", "confirmed", "Tracked")),  # row 3
        victim_row("INC-3", **attribution_cells("Martians", "confirmed", "Tracked")),  # row 4
        victim_row("INC-4", **attribution_cells("their-militia", "sure", "Tracked")),  # row 5
        victim_row("INC-5", **attribution_cells("isis", "likely", "Claimed")),  # row 6
        victim_row("INC-5", **attribution_cells("ISIS", "confirmed", "Claimed")),  # row 7
    ]
    before = counts()
    report = tabular.victims_csv_import(case, csv_file(rows), intake_worker)
    found = problems(report)
    assert set(found) == {
        (2, "attribution_confidence"), (2, "attribution_basis"), (3, "perpetrator_party"), (4, "perpetrator_party"),
        (5, "perpetrator_party"), (5, "attribution_confidence"), (7, "perpetrator_party"),
    }  # fmt: skip
    assert "Required when the row names a perpetrator party" in found[(2, "attribution_basis")]
    assert "Name the perpetrator party" in found[(3, "perpetrator_party")]
    assert "Martians" in found[(4, "perpetrator_party")]
    assert "their-militia" in found[(5, "perpetrator_party")], "another case's party is not this case's"
    assert "row 6" in found[(7, "perpetrator_party")] and "must agree" in found[(7, "perpetrator_party")]
    assert not report.committed and counts() == before and Attribution.objects.count() == 0


def test_an_existing_incidents_attributions_are_never_changed_by_an_import(case, intake_worker):
    existing = IncidentFactory(case=case, reference="OLD-1")
    Attribution.objects.create(
        incident=existing, party=Party.objects.get(code="russian-forces"), confidence="confirmed", basis="Tracked"
    )

    def victim_of_old(party: str, confidence: str, basis: str) -> dict:
        blanks = {"incident_title": "", "incident_date": "", "governorate": "", "incident_type": ""}
        return victim_row("OLD-1", **blanks, **attribution_cells(party, confidence, basis))

    rows = [victim_of_old("russian-forces", "confirmed", "Tracked")]
    assert tabular.victims_csv_check(case, csv_file(rows)).is_valid, "the same attribution: only victims added"

    changed = [
        victim_of_old("russian-forces", "possible", "Tracked"),  # row 2
        victim_of_old("russian-forces", "confirmed", "Another basis"),  # row 3
        victim_of_old("isis", "confirmed", "Claimed"),  # row 4
    ]
    before = counts()
    report = tabular.victims_csv_import(case, csv_file(changed), intake_worker)
    found = problems(report)
    assert set(found) == {(2, "perpetrator_party"), (3, "perpetrator_party"), (4, "perpetrator_party")}
    assert "already exists in this case and is not attributed to ISIS" in found[(4, "perpetrator_party")]
    assert not report.committed and counts() == before
    assert attributions_of("OLD-1") == [("russian-forces", "confirmed", "Tracked")]


def test_attributions_are_written_only_after_the_models_own_checks(case, intake_worker):
    rows = [victim_row("INC-1", **attribution_cells("isis", "likely", "Claimed")), victim_row("INC-2")]
    checked_instances = []

    def refuse_attributions(instance, **kwargs):
        checked_instances.append(instance)
        if isinstance(instance, Attribution):
            raise Refused("Each party can be named once per incident.", field="party")

    before = counts()
    with mock.patch.object(errors, "checked", side_effect=refuse_attributions):
        report = tabular.victims_csv_import(case, csv_file(rows), intake_worker)
    assert [type(instance) for instance in checked_instances] == [Incident, Attribution]
    assert not report.committed
    assert problems(report) == {
        (2, "perpetrator_party"): "Nothing was written: Each party can be named once per incident."
    }
    assert counts() == before and Attribution.objects.count() == SpreadsheetImport.objects.count() == 0


def test_export_then_import_then_export_keeps_the_attributions(case, other_case, intake_worker):
    market = IncidentFactory(case=case, reference="INC-1", start_time=datetime(2017, 9, 15, tzinfo=UTC))
    VictimFactory(incident=market, name="Ahmad")
    for code, confidence, basis in (
        ("russian-forces", "confirmed", "رصد المرصد الطائرة من مطار حميميم، ثم القصف"),
        ("syrian-government-forces", "possible", '=claimed by official media; "two" sources\nsecond line'),
        ("unidentified", "unknown", "No claim."),
    ):
        Attribution.objects.create(
            incident=market, party=Party.objects.get(code=code), confidence=confidence, basis=basis
        )
    quiet = IncidentFactory(case=case, reference="INC-2", start_time=datetime(2017, 9, 20, tzinfo=UTC))
    Attribution.objects.create(
        incident=quiet, party=Party.objects.get(code="isis"), confidence="likely", basis="Claimed"
    )

    first = exported(case)
    lines = list(csv.reader(io.StringIO(first.removeprefix(tabular.BOM))))
    party, name = COLUMNS.index("perpetrator_party"), COLUMNS.index("victim_name")
    assert [(line[0], line[party], line[name]) for line in lines[1:]] == [
        ("INC-1", "russian-forces", "Ahmad"),
        ("INC-1", "syrian-government-forces", ""),
        ("INC-1", "unidentified", ""),
        ("INC-2", "isis", ""),
    ]
    assert lines[2][COLUMNS.index("attribution_basis")].startswith("'=claimed"), "a formula is neutralised"

    report = tabular.victims_csv_import(other_case, io.BytesIO(first.encode("utf-8")), intake_worker)
    assert report.committed, report.problems
    assert (report.victims_added, report.attributions_added) == (1, 4)
    assert exported(other_case) == first
    assert attributions_of("INC-1", other_case) == attributions_of("INC-1", case)
    # And into the same case again: every attribution agrees with the incident's, nothing new is written.
    again = tabular.victims_csv_check(case, io.BytesIO(first.encode("utf-8")))
    assert list(problems(again)) == [(2, "victim_name")], "only Ahmad, recorded already"


# Where each victim came from ----------------------------------------------------------------------------------


def test_each_imported_victim_keeps_its_source_import_and_row(case):
    rows = [
        victim_row("INC-1", victim_name="Samir", source="Idlib hospital list"),  # row 2
        victim_row("INC-1", victim_name="Huda"),  # row 3: blank source cell takes the import's source
    ]
    report = tabular.victims_csv_import(case, csv_file(rows), file_name="list.csv", source="Local council")

    assert report.committed
    record = SpreadsheetImport.objects.get(case=case)
    assert {
        (victim.name, victim.source_name, victim.source_kind, victim.source_import_id, victim.source_row)
        for victim in Victim.objects.all()
    } == {
        ("Samir", "Idlib hospital list", "import", record.pk, 2),
        ("Huda", "Local council", "import", record.pk, 3),
    }


def test_import_command_names_the_source_of_the_file(case, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "council.csv"
    path.write_bytes(csv_bytes([victim_row("INC-1", victim_name="Samir")]))
    call_command(
        "import_victims", case.reference, str(path), "--commit", "--source", "Local council", stdout=io.StringIO()
    )

    assert Victim.objects.get().source_name == "Local council"


def test_source_cell_longer_than_the_field_is_a_problem_and_nothing_is_written(case):
    report = tabular.victims_csv_import(case, csv_file([victim_row("INC-1", source="x" * 201)]))

    assert not report.committed and (2, "source") in problems(report)
    assert counts() == (0, 0)
