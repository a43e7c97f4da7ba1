"""Reading a file: every cell parsed and checked against the case, every problem with its spreadsheet row.

Nothing here writes; `read_and_check` gives the report and the planned incidents that `importing` writes.
"""

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.db.models import Model, Prefetch
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from casework.cases.models import Case, CaseMembership, CaseRole
from casework.incidents.models import (
    ADULT_AGE,
    Attribution,
    Incident,
    Party,
    SpreadsheetImport,
    Victim,
    age_contradicts_band,
)
from casework.incidents.tabular.columns import (
    ATTRIBUTION_COLUMNS,
    BOM,
    CHOICE_COLUMNS,
    COLUMNS,
    DATE_ONLY,
    ESCAPED_FORMULA_START,
    INCIDENT_COLUMNS,
    LIST_COLUMNS,
    LIST_SEPARATOR,
    MAX_AGE,
    MAX_FILE_BYTES,
    REQUIRED_FOR_NEW_INCIDENT,
    TEXT_LENGTHS,
    VICTIM_COLUMNS,
    VICTIM_DEFAULTS,
    VOCABULARY_COLUMNS,
    WHOLE_NUMBER,
)
from casework.incidents.tabular.export import incident_cells
from casework.text import normalise_for_matching


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file. `row` is the spreadsheet's row number (the header is 1; 0 = the file)."""

    row: int
    column: str
    message: str


# The "column" of the problem that the file was imported before: the flag (API field, command option, page
# checkbox) that lets it be imported again.
REIMPORT = "allow_reimport"


@dataclass(frozen=True)
class EarlierImport:
    """A committed import of the same file (the same bytes) into the case."""

    imported_at: datetime
    imported_by: str  # the person (with their role on the case), or that the command line named no one
    file_name: str
    victims_added: int


@dataclass
class ImportReport:
    """What a check found, or what an import did. Nothing is written unless `committed`."""

    problems: list[Problem] = field(default_factory=list)
    rows: int = 0
    incidents_created: list[str] = field(default_factory=list)
    incidents_extended: list[str] = field(default_factory=list)
    victims_added: int = 0
    attributions_added: int = 0
    committed: bool = False
    sha256: str = ""  # of the file's bytes (of its UTF-8 text if given as text)
    imported_before: list[EarlierImport] = field(default_factory=list)  # newest first

    @property
    def is_valid(self) -> bool:
        return not self.problems

    @property
    def reimport_refused(self) -> bool:
        """Refused (also) because the file was imported before and importing it again was not confirmed."""
        return any(problem.column == REIMPORT for problem in self.problems)

    @property
    def problems_in_file(self) -> list[Problem]:
        """The problems a corrected file would fix: all but the refusal to import the same file again."""
        return [problem for problem in self.problems if problem.column != REIMPORT]

    def add(self, row: int, column: str, message: str) -> None:
        self.problems.append(Problem(row, column, message))

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.is_valid,
            "committed": self.committed,
            "rows": self.rows,
            "incidents_created": self.incidents_created,
            "incidents_extended": self.incidents_extended,
            "victims_added": self.victims_added,
            "attributions_added": self.attributions_added,
            "sha256": self.sha256,
            "imported_before": [
                {
                    "imported_at": earlier.imported_at,
                    "imported_by": earlier.imported_by,
                    "file_name": earlier.file_name,
                    "victims_added": earlier.victims_added,
                }
                for earlier in self.imported_before
            ],
            "problems": [{"row": p.row, "column": p.column, "message": p.message} for p in self.problems],
        }


@dataclass(frozen=True)
class PlannedAttribution:
    party: Party
    confidence: str
    basis: str
    row: int  # the first row that gives it

    def agrees_with(self, other: "PlannedAttribution | Attribution") -> bool:
        return (self.party.pk, self.confidence, self.basis) == (other.party.pk, other.confidence, other.basis)


@dataclass
class PlannedIncident:
    reference: str
    first_row: int
    # column -> (parsed value, cell text, row it came from)
    values: dict[str, tuple[Any, str, int]] = field(default_factory=dict)
    invalid_columns: set[str] = field(default_factory=set)
    existing: Incident | None = None
    victims: list[Victim] = field(default_factory=list)
    victim_rows: list[int] = field(default_factory=list)
    # party id -> the attribution, in the order of the rows
    attributions: dict[int, PlannedAttribution] = field(default_factory=dict)


class _Vocabulary:
    """The terms of one vocabulary a case may use, found by code, English name or Arabic name."""

    def __init__(self, model: type[Model], case: Case):
        self.model = model
        terms = list(model.objects.available_for(case))
        self.by_key: dict[str, Model] = {}
        shared_first = sorted(terms, key=lambda term: term.case_id is not None)
        # Later entries win: a code over a name, a case's own term over a shared one.
        for term in shared_first:
            for name in (term.name, term.name_ar):
                if name:
                    self.by_key[normalise_for_matching(name)] = term
        for term in shared_first:
            self.by_key[normalise_for_matching(term.code)] = term

    def find(self, text: str) -> Model | None:
        return self.by_key.get(normalise_for_matching(text))


def _choice_lookup(choices) -> dict[str, str]:
    """Codes, and the labels in English and Arabic, to the stored value."""
    lookup = {}
    for language in ("ar", "en"):
        with translation.override(language):
            for value, label in choices.choices:
                lookup[normalise_for_matching(str(label))] = value
    for value in choices.values:
        lookup[normalise_for_matching(value)] = value
    return lookup


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

    parser = _RowParser(case)
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


class _RowParser:
    """Turns the cells of a row into values, reporting what is wrong with each cell."""

    def __init__(self, case: Case):
        self.vocabularies = {column: _Vocabulary(model, case) for column, model in VOCABULARY_COLUMNS.items()}
        self.choices = {column: _choice_lookup(choices) for column, choices in CHOICE_COLUMNS.items()}

    def parse_row(
        self, row: int, record: dict[str, str], plans: dict[str, PlannedIncident], report: ImportReport
    ) -> None:
        if not record["incident_reference"]:
            report.add(row, "incident_reference", _("Required on every row."))
            return
        reference = self.text(row, "incident_reference", record, report)
        if not reference:
            return
        plan = plans.get(reference)
        if plan is None:
            plan = plans[reference] = PlannedIncident(reference=reference, first_row=row)

        values, invalid = self.incident_values(row, record, report)
        plan.invalid_columns |= invalid
        for column, (value, text) in values.items():
            if column not in plan.values:
                plan.values[column] = (value, text, row)
                continue
            earlier_value, earlier_text, earlier_row = plan.values[column]
            if not _same_value(column, earlier_value, value):
                report.add(
                    row,
                    column,
                    _(
                        "Incident %(reference)s has “%(other)s” here on row %(other_row)s; every row of an "
                        "incident must agree (or leave the cell blank)."
                    )
                    % {"reference": reference, "other": earlier_text, "other_row": earlier_row},
                )
            elif column == "incident_date" and isinstance(value, datetime):
                # A date and a date-time on that date agree; the more precise one is kept.
                plan.values[column] = (value, text, row)

        if any(record.get(column) for column in ATTRIBUTION_COLUMNS):
            attribution = self.attribution(row, record, report)
            if attribution is not None:
                _add_attribution(plan, attribution, report)

        if any(record.get(column) for column in VICTIM_COLUMNS):
            victim = self.victim(row, record, report)
            if victim is not None:
                plan.victims.append(victim)
                plan.victim_rows.append(row)

    def attribution(self, row: int, record: dict[str, str], report: ImportReport) -> PlannedAttribution | None:
        """The attribution the row's attribution cells give, or None (with the problems reported)."""
        count = len(report.problems)
        party_text, confidence_text = record.get("perpetrator_party", ""), record.get("attribution_confidence", "")
        basis = self.text(row, "attribution_basis", record, report)
        if not party_text:
            report.add(
                row,
                "perpetrator_party",
                _("Name the perpetrator party that this attribution confidence and basis are about."),
            )
            return None
        party = self.term(row, "perpetrator_party", party_text, report)
        confidence = None
        for column, text in (("attribution_confidence", confidence_text), ("attribution_basis", basis)):
            if not text:
                report.add(row, column, _("Required when the row names a perpetrator party."))
        if confidence_text:
            confidence = self.choice(row, "attribution_confidence", confidence_text, report)
        if len(report.problems) > count:
            return None
        return PlannedAttribution(party=party, confidence=confidence, basis=basis, row=row)

    def text(self, row: int, column: str, record: dict[str, str], report: ImportReport) -> str:
        value = record.get(column, "")
        if ESCAPED_FORMULA_START.match(value):
            value = value[1:]
        limit = TEXT_LENGTHS.get(column)
        if limit is not None and len(value) > limit:
            report.add(row, column, _("At most %(limit)s characters (this has %(length)s).") % {
                "limit": limit, "length": len(value)
            })  # fmt: skip
            return ""
        return value

    def choice(self, row: int, column: str, text: str, report: ImportReport) -> str | None:
        value = self.choices[column].get(normalise_for_matching(text))
        if value is None:
            report.add(
                row,
                column,
                _("“%(value)s” is not allowed here; use one of: %(allowed)s.")
                % {"value": text, "allowed": ", ".join(CHOICE_COLUMNS[column].values)},
            )
        return value

    def term(self, row: int, column: str, text: str, report: ImportReport) -> Model | None:
        vocabulary = self.vocabularies[column]
        term = vocabulary.find(text)
        if term is None:
            report.add(row, column, self.unknown_term_message(vocabulary, [text]))
        return term

    @staticmethod
    def unknown_term_message(vocabulary: _Vocabulary, texts: list[str]) -> str:
        return _("Not a %(vocabulary)s of this case: %(values)s. Use a code, English name or Arabic name.") % {
            "vocabulary": vocabulary.model._meta.verbose_name,
            "values": ", ".join(f"“{text}”" for text in texts),
        }

    def terms(self, row: int, column: str, text: str, report: ImportReport) -> frozenset | None:
        vocabulary = self.vocabularies[column]
        found, unknown = set(), []
        for piece in text.split(LIST_SEPARATOR):
            if piece.strip():
                term = vocabulary.find(piece)
                if term is None:
                    unknown.append(piece.strip())
                else:
                    found.add(term)
        if unknown:
            report.add(row, column, self.unknown_term_message(vocabulary, unknown))
            return None
        return frozenset(found) if found else None

    def incident_values(
        self, row: int, record: dict[str, str], report: ImportReport
    ) -> tuple[dict[str, tuple[Any, str]], set[str]]:
        """The incident cells this row gives (blank ones left out), and the columns whose cell is invalid."""
        values: dict[str, tuple[Any, str]] = {}
        invalid: set[str] = set()
        for column in INCIDENT_COLUMNS[1:]:
            text = record.get(column, "")
            if not text:
                continue
            count = len(report.problems)
            if column in ("incident_title", "district", "locality"):
                value: Any = self.text(row, column, record, report) or None
            elif column == "incident_date":
                value = _parse_date(row, text, report)
            elif column in CHOICE_COLUMNS:
                value = self.choice(row, column, text, report)
            elif column in LIST_COLUMNS:
                value = self.terms(row, column, text, report)
            elif column in VOCABULARY_COLUMNS:
                value = self.term(row, column, text, report)
            else:  # latitude, longitude
                value = _parse_coordinate(row, column, text, report)
            if len(report.problems) > count:
                invalid.add(column)
            elif value is not None:
                values[column] = (value, text)

        has_latitude, has_longitude = bool(record.get("latitude")), bool(record.get("longitude"))
        if has_latitude != has_longitude:
            missing = "longitude" if has_latitude else "latitude"
            report.add(row, missing, _("Give both latitude and longitude, or neither."))
            values.pop("latitude", None)
            values.pop("longitude", None)
        return values, invalid

    def victim(self, row: int, record: dict[str, str], report: ImportReport) -> Victim | None:
        count = len(report.problems)
        victim = Victim(
            name=self.text(row, "victim_name", record, report), notes=self.text(row, "notes", record, report)
        )
        for column, attribute in (
            ("sex", "sex"), ("age_band", "age_band"), ("civilian_status", "combatant_status"),
            ("victim_status", "status"),
        ):  # fmt: skip
            text = record.get(column, "")
            if text:
                setattr(victim, attribute, self.choice(row, column, text, report))
            elif column == "victim_status":
                report.add(row, column, _("Required when the row describes a victim."))
            else:
                setattr(victim, attribute, VICTIM_DEFAULTS[column])
        age_text = record.get("age", "")
        if age_text:
            if not WHOLE_NUMBER.match(age_text):
                report.add(row, "age", _("“%(value)s” is not an age in whole years.") % {"value": age_text})
            elif int(age_text) > MAX_AGE:
                report.add(row, "age", _("An age over %(max)s is not plausible.") % {"max": MAX_AGE})
            else:
                victim.age = int(age_text)
                band = victim.age_band
                if age_contradicts_band(victim.age, band):
                    report.add(
                        row,
                        "age_band",
                        _("Age %(age)s contradicts the age band “%(band)s”: a child is under %(adult_age)s.")
                        % {"age": victim.age, "band": band, "adult_age": ADULT_AGE},
                    )
        if record.get("occupation"):
            victim.occupation = self.term(row, "occupation", record["occupation"], report)
        return victim if len(report.problems) == count else None


def _parse_date(row: int, text: str, report: ImportReport) -> date | datetime | None:
    """A date (YYYY-MM-DD) or an ISO date-time; one without a UTC offset is in the server's time zone."""
    try:
        if DATE_ONLY.match(text):
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment
    except ValueError:
        report.add(
            row,
            "incident_date",
            _("“%(value)s” is not a date; write YYYY-MM-DD or an ISO date-time such as 2017-09-15T14:30.")
            % {"value": text},
        )
        return None


def _parse_coordinate(row: int, column: str, text: str, report: ImportReport) -> Decimal | None:
    limit = 90 if column == "latitude" else 180
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        report.add(row, column, _("“%(value)s” is not a number.") % {"value": text})
        return None
    if not -limit <= value <= limit:
        report.add(row, column, _("Must be between -%(limit)s and %(limit)s.") % {"limit": limit})
        return None
    return value.quantize(Decimal("0.000001"))


def _same_value(column: str, first: Any, second: Any) -> bool:
    if column == "incident_date":
        return _dates_agree(first, second)
    return first == second


def _dates_agree(first: date | datetime, second: date | datetime) -> bool:
    """Two date-times agree if equal; a date agrees with a date-time on that (local) day."""
    first_is_moment, second_is_moment = isinstance(first, datetime), isinstance(second, datetime)
    if first_is_moment and second_is_moment:
        return first == second
    if first_is_moment:
        first = timezone.localtime(first).date()
    if second_is_moment:
        second = timezone.localtime(second).date()
    return first == second


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
        if not _same_value(column, _existing_value(plan.existing, column), value):
            report.add(
                row,
                column,
                _(
                    "Incident %(reference)s already exists in this case with “%(existing)s”. An import only adds "
                    "victims to it: leave the cell blank or write the same value."
                )
                % {"reference": plan.reference, "existing": cells[column] or _("(blank)")},
            )


def _add_attribution(plan: PlannedIncident, attribution: PlannedAttribution, report: ImportReport) -> None:
    """One attribution per party: the same party again on another row of the incident must say the same."""
    earlier = plan.attributions.get(attribution.party.pk)
    if earlier is None:
        plan.attributions[attribution.party.pk] = attribution
    elif not earlier.agrees_with(attribution):
        report.add(
            attribution.row,
            "perpetrator_party",
            _(
                "Incident %(reference)s is attributed to %(party)s on row %(other_row)s with another confidence "
                "or basis; one party is held responsible once per incident, so the rows must agree."
            )
            % {"reference": plan.reference, "party": attribution.party, "other_row": earlier.row},
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
