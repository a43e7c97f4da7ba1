"""Reading a file: every cell parsed and checked against the case, every problem with its spreadsheet row.

Nothing here writes; `read_and_check` gives the report and the planned incidents that `importing` writes.
"""

import csv
import hashlib
import io
from collections.abc import Iterator
from typing import IO, Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from casework.cases.models import Case, CaseMembership, CaseRole
from casework.incidents.models import Attribution, Incident, SpreadsheetImport, Victim
from casework.incidents.tabular.columns import BOM, COLUMNS, MAX_FILE_BYTES, REQUIRED_FOR_NEW_INCIDENT
from casework.incidents.tabular.export import incident_cells
from casework.incidents.tabular.report import REIMPORT, EarlierImport, ImportReport, PlannedIncident
from casework.incidents.tabular.rows import RowParser, same_value
from casework.text import normalise_for_matching


def _read_text(file: IO, report: ImportReport) -> str | None:
    """The file's text; sets `report.sha256`. None (with the problem reported) if it is too large or not UTF-8."""
    data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        report.add(0, "", _("The file is larger than %(limit)s MB.") % {"limit": MAX_FILE_BYTES // 1024 // 1024})
        return None
    report.sha256 = hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()
    if isinstance(data, str):
        return data.removeprefix(BOM)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        report.add(
            0,
            "",
            _("The file is not UTF-8 text (byte %(position)s). Save it as “CSV UTF-8”.") % {"position": error.start},
        )
        return None


def _delimiter(text: str) -> str:
    """Comma, or the semicolon or tab some spreadsheet programs write: whichever finds the most known columns."""
    first_line = text.split("\n", 1)[0]

    def score(delimiter: str) -> int:
        return sum(_column_named(cell.strip().strip('"')) is not None for cell in first_line.split(delimiter))

    return max([",", ";", "\t"], key=score)


def _records(text: str, report: ImportReport) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row number, cells) of each record, until the end or the first place that is not CSV.

    Strict: without it, csv.reader takes a quotation mark opening a cell that is never closed as the start of
    one cell running to the end of the file, and the rows after it silently become that cell's text.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    row_number = 0
    try:
        for row_number, cells in enumerate(reader, start=1):
            yield row_number, cells
    except csv.Error:
        report.add(
            row_number + 1,
            "",
            _(
                "A quotation mark on this row opens a cell that is not closed properly, so the rows after it "
                "would be read into that one cell. Nothing was written. Check the quotation marks on this row: "
                'put the whole cell in quotation marks and write each quotation mark inside it twice (""), '
                "or leave quotation marks out of the cell."
            ),
        )


def read_and_check(
    case: Case, file: IO, *, lock: bool, allow_reimport: bool
) -> tuple[ImportReport, list[PlannedIncident]]:
    """The report on the file and the incidents it would create or extend; writes nothing.

    With `lock`, the existing incidents it names are locked until the transaction ends. A file already imported
    into the case is a problem unless `allow_reimport`; either way `report.imported_before` lists when.
    """
    report = ImportReport()
    text = _read_text(file, report)
    if text is None:
        return report, []
    _note_earlier_imports(case, report, allow_reimport=allow_reimport)
    records = _records(text, report)
    header = next(records, None)
    if header is None or not any(cell.strip() for cell in header[1]):
        if not report.problems:
            report.add(1, "", _("The file is empty: its first row must name the columns."))
        return report, []
    positions = _header_positions(header[1], report)
    if positions is None:
        return report, []

    parser = RowParser(case)
    plans: dict[str, PlannedIncident] = {}
    for row_number, cells in records:
        report.rows += 1
        record = {column: cells[index].strip() if index < len(cells) else "" for column, index in positions.items()}
        if any(cell.strip() for cell in cells[len(header[1]) :]):
            report.add(row_number, "", _("This row has more cells than the header row has columns."))
        if not any(record.values()):
            continue
        parser.parse_row(row_number, record, plans, report)

    existing_incidents = Incident.objects.filter(case=case, reference__in=list(plans)).select_related(
        "governorate", "incident_type"
    )
    if lock:
        # Victims are added to what was checked: nobody changes these incidents until the commit.
        existing_incidents = existing_incidents.select_for_update(of=("self",))
    existing_incidents = existing_incidents.prefetch_related(
        "weapons", "facilities_hit", Prefetch("attributions", queryset=Attribution.objects.select_related("party"))
    )
    for incident in existing_incidents:
        plans[incident.reference].existing = incident

    _flag_people_recorded_twice(plans.values(), report)
    for plan in plans.values():
        if plan.existing is not None:
            _compare_with_existing(plan, report)
            _compare_attributions_with_existing(plan, report)
            if plan.victims:
                report.incidents_extended.append(plan.reference)
        else:
            for column in REQUIRED_FOR_NEW_INCIDENT:
                if column not in plan.values and column not in plan.invalid_columns:
                    report.add(
                        plan.first_row,
                        column,
                        _("Required: there is no incident %(reference)s in this case yet.")
                        % {"reference": plan.reference},
                    )
            report.incidents_created.append(plan.reference)
            report.attributions_added += len(plan.attributions)
        report.victims_added += len(plan.victims)
    report.problems.sort(key=lambda problem: (problem.row, _column_order(problem.column)))
    return report, list(plans.values())


def _note_earlier_imports(case: Case, report: ImportReport, *, allow_reimport: bool) -> None:
    """List the committed imports of the same bytes into the case; refuse the file again unless allowed.

    Victims without a name cannot be recognised as recorded already, so this is the only thing that stops a
    file imported twice from doubling their tolls. One query, two if it was imported before.
    """
    earlier = list(
        SpreadsheetImport.objects.filter(case=case, sha256=report.sha256)
        .select_related("imported_by")
        .order_by("-imported_at", "-id")
    )
    if not earlier:
        return
    roles = dict(
        CaseMembership.objects.filter(case=case, user_id__in={record.imported_by_id for record in earlier}).values_list(
            "user_id", "role"
        )
    )
    report.imported_before = [
        EarlierImport(
            imported_at=record.imported_at,
            imported_by=_importer(record, roles),
            file_name=record.file_name,
            victims_added=record.victims_added,
        )
        for record in earlier
    ]
    if not allow_reimport:
        latest = report.imported_before[0]
        report.add(
            0,
            REIMPORT,
            _(
                "This exact file was imported into this case on %(date)s by %(person)s. Importing it again would "
                "add its victims a second time. Import it again only if that is what you mean, and confirm it."
            )
            % {
                "date": date_format(timezone.localtime(latest.imported_at), "DATETIME_FORMAT"),
                "person": latest.imported_by,
            },
        )


def _importer(record: SpreadsheetImport, roles: dict[int, str]) -> str:
    user = record.imported_by
    if user is None:
        return _("the command line (no user named)")
    name = user.get_full_name() or user.get_username()
    if record.imported_by_id not in roles:
        return name
    return _("%(name)s (%(role)s)") % {"name": name, "role": CaseRole(roles[record.imported_by_id]).label}


def _column_order(column: str) -> int:
    return COLUMNS.index(column) if column in COLUMNS else -1


# "Incident Reference", "incident-reference" and "INCIDENT_REFERENCE" all name incident_reference.
COLUMN_KEYS = {normalise_for_matching(column): column for column in COLUMNS}


def _column_named(header_cell: str) -> str | None:
    return COLUMN_KEYS.get(normalise_for_matching(header_cell))


def _header_positions(header: list[str], report: ImportReport) -> dict[str, int] | None:
    positions: dict[str, int] = {}
    fatal = False
    for index, cell in enumerate(header):
        if not normalise_for_matching(cell):
            continue
        name = _column_named(cell)
        if name is None:
            report.add(
                1,
                cell.strip(),
                _("Unknown column “%(name)s”. The columns are: %(columns)s.")
                % {"name": cell.strip(), "columns": ", ".join(COLUMNS)},
            )
        elif name in positions:
            report.add(1, name, _("The column “%(name)s” appears twice.") % {"name": name})
            fatal = True
        else:
            positions[name] = index
    if "incident_reference" not in positions:
        report.add(1, "incident_reference", _("The column “incident_reference” is missing."))
        fatal = True
    return None if fatal else positions


def _existing_value(incident: Incident, column: str) -> Any:
    return {
        "incident_title": lambda: incident.title,
        "incident_date": lambda: incident.start_time,
        "date_precision": lambda: incident.date_precision,
        "governorate": lambda: incident.governorate,
        "district": lambda: incident.district,
        "locality": lambda: incident.locality,
        "latitude": lambda: incident.latitude,
        "longitude": lambda: incident.longitude,
        "incident_type": lambda: incident.incident_type,
        "weapons": lambda: frozenset(incident.weapons.all()),
        "facilities_hit": lambda: frozenset(incident.facilities_hit.all()),
    }[column]()


def _compare_with_existing(plan: PlannedIncident, report: ImportReport) -> None:
    cells = incident_cells(plan.existing)
    for column, (value, _text, row) in plan.values.items():
        if not same_value(column, _existing_value(plan.existing, column), value):
            report.add(
                row,
                column,
                _(
                    "Incident %(reference)s already exists in this case with “%(existing)s”. An import only adds "
                    "victims to it: leave the cell blank or write the same value."
                )
                % {"reference": plan.reference, "existing": cells[column] or _("(blank)")},
            )


def _compare_attributions_with_existing(plan: PlannedIncident, report: ImportReport) -> None:
    existing = {attribution.party_id: attribution for attribution in plan.existing.attributions.all()}
    for party_id, attribution in plan.attributions.items():
        if party_id in existing and attribution.agrees_with(existing[party_id]):
            continue
        report.add(
            attribution.row,
            "perpetrator_party",
            _(
                "Incident %(reference)s already exists in this case and is not attributed to %(party)s with this "
                "confidence and basis. An import only adds victims to it: leave the attribution cells blank or "
                "write an attribution it has."
            )
            % {"reference": plan.reference, "party": attribution.party},
        )


def _person_key(victim: Victim) -> tuple:
    return (normalise_for_matching(victim.name), victim.sex, victim.age, victim.status)


def _flag_people_recorded_twice(plans, report: ImportReport) -> None:
    """A named victim already recorded in the incident, or twice in the file, with the same sex, age and status:
    most likely a file imported again, which would count the person twice. (Two sources naming the same person
    differently are for a reviewer to link as duplicates.)"""
    existing = {plan.existing.pk: plan for plan in plans if plan.existing is not None and plan.victims}
    recorded = {
        (victim.incident_id, _person_key(victim)): victim.pk
        for victim in Victim.objects.filter(incident_id__in=list(existing)).exclude(name="")
    }
    for plan in plans:
        first_rows: dict[tuple, int] = {}
        for victim, row in zip(plan.victims, plan.victim_rows, strict=True):
            if not victim.name.strip():
                continue
            key = _person_key(victim)
            if plan.existing is not None and (plan.existing.pk, key) in recorded:
                report.add(
                    row,
                    "victim_name",
                    _(
                        "%(name)s, with the same sex, age and status, is already recorded in incident %(reference)s; "
                        "importing this row would count the person twice."
                    )
                    % {"name": victim.name, "reference": plan.reference},
                )
            elif key in first_rows:
                report.add(
                    row,
                    "victim_name",
                    _("The same person as on row %(row)s (same name, sex, age and status).") % {"row": first_rows[key]},
                )
            else:
                first_rows[key] = row
