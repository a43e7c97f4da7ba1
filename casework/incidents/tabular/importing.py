"""Checking a file against a case (a dry run) and importing it, all or nothing."""

from datetime import date, datetime, time
from pathlib import PurePath
from typing import IO

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.cases.models import Case
from casework.cases.services import case_lock
from casework.errors import Refused, checked
from casework.incidents.models import Attribution, DatePrecision, Incident, SpreadsheetImport, Victim
from casework.incidents.services import incident_write, victims_add
from casework.incidents.tabular.reading import read_and_check
from casework.incidents.tabular.report import ImportReport, PlannedIncident


def victims_csv_check(case: Case, file: IO, *, allow_reimport: bool = False) -> ImportReport:
    """Parse and validate the whole file against the case; writes nothing. `file` is binary or text.

    Reports exactly what `victims_csv_import` with the same `allow_reimport` would refuse.
    """
    report, _plans = read_and_check(case, file, lock=False, allow_reimport=allow_reimport)
    return report


def victims_csv_import(
    case: Case, file: IO, actor=None, *, file_name: str = "", allow_reimport: bool = False, source: str = ""
) -> ImportReport:
    """Check the file and, only if it has no problem at all, write it in one transaction.

    New incidents (created by `actor`, with their attributions) and the victims go through the incident and
    victim services, which write the tolls of every incident touched in the same transaction; the import is
    recorded (SpreadsheetImport) with the file's SHA-256 and `file_name`. A file recorded for the case before
    is refused unless `allow_reimport`. Imports into one case run one after
    the other (the case row is locked), so two people importing the same file at once cannot both pass that
    check. After the commit, PostgreSQL's planner statistics of the filled tables are refreshed. A database
    error rolls everything back and propagates, except a clash with a concurrent import of the same
    reference, which is reported as a problem, as is a record the model's checks refuse.

    Every victim keeps where it came from: this import and its row, and its source, from the file's "source"
    column or, where that is blank, `source` (the list the whole file came from).
    """
    try:
        with transaction.atomic():
            case_lock(case.pk)
            report, plans = read_and_check(case, file, lock=True, allow_reimport=allow_reimport)
            if report.is_valid:
                victims = _write(case, plans, actor, source=source.strip()[:200])
                record = _record(case, report, actor, file_name)
                Victim.objects.filter(pk__in=[victim.pk for victim in victims]).update(source_import=record)
                report.committed = True
                transaction.on_commit(_refresh_planner_statistics)
    except _RowRefused as refused:
        report = ImportReport()
        for messages in refused.refusal.errors.values():
            for message in messages:
                report.add(refused.row, refused.column, _("Nothing was written: %(reason)s") % {"reason": message})
    except IntegrityError:
        report = ImportReport()
        report.add(
            0,
            "",
            _(
                "The database refused the import (someone may have added the same incidents meanwhile); nothing "
                "was written. Check the file again."
            ),
        )
    return report


class _RowRefused(Exception):
    """A write the model's own checks refused after the file was checked: reported on the row it came from."""

    def __init__(self, row: int, column: str, refusal: Refused):
        super().__init__(refusal.message)
        self.row, self.column, self.refusal = row, column, refusal


def _refresh_planner_statistics() -> None:
    """ANALYZE the tables a bulk import filled, on PostgreSQL (SQLite plans without such statistics).

    PostgreSQL plans queries from statistics that only ANALYZE (or autovacuum, which may be off) gathers: right
    after a large import, the statistics queries were otherwise planned for nearly empty tables. Cheap: ANALYZE
    reads a fixed-size sample of each table.
    """
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in (Incident, Victim, Attribution))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def _record(case: Case, report: ImportReport, actor, file_name: str) -> SpreadsheetImport:
    record = SpreadsheetImport(
        case=case,
        sha256=report.sha256,
        file_name=PurePath(file_name).name[:255],
        imported_by=actor,
        rows=report.rows,
        incidents_created=len(report.incidents_created),
        incidents_extended=len(report.incidents_extended),
        victims_added=report.victims_added,
        attributions_added=report.attributions_added,
    )
    checked(record)
    record.save()
    return record


def _to_moment(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return timezone.make_aware(datetime.combine(value, time.min))


# Where a refusal of the incident service points in the spreadsheet.
SPREADSHEET_COLUMN = {
    "reference": "incident_reference",
    "title": "incident_title",
    "start_time": "incident_date",
    "date_precision": "date_precision",
    "governorate": "governorate",
    "district": "district",
    "locality": "locality",
    "latitude": "latitude",
    "longitude": "longitude",
    "incident_type": "incident_type",
    "weapons": "weapons",
    "facilities_hit": "facilities_hit",
    "attributions": "perpetrator_party",
    "party": "perpetrator_party",
    "confidence": "attribution_confidence",
    "basis": "attribution_basis",
}


def _write(case: Case, plans: list[PlannedIncident], actor, *, source: str) -> list[Victim]:
    """New incidents (with their attributions) through the incident service, then every new victim at once
    through the victim service, which writes the tolls of each incident touched: the same checks and rules as
    the forms, the API and the admin, in the caller's transaction."""
    new_victims: list[tuple[Incident, Victim]] = []
    for plan in plans:
        incident = plan.existing
        if incident is None:
            values = {column: value for column, (value, _text, _row) in plan.values.items()}
            try:
                incident = incident_write(
                    case=case,
                    actor=actor,
                    values={
                        "reference": plan.reference,
                        "title": values["incident_title"],
                        "start_time": _to_moment(values["incident_date"]),
                        "date_precision": values.get("date_precision", DatePrecision.EXACT),
                        "governorate": values["governorate"],
                        "district": values.get("district", ""),
                        "locality": values.get("locality", ""),
                        "latitude": values.get("latitude"),
                        "longitude": values.get("longitude"),
                        "incident_type": values["incident_type"],
                        "weapons": list(values.get("weapons", ())),
                        "facilities_hit": list(values.get("facilities_hit", ())),
                    },
                    attributions=[
                        {"party": planned.party, "confidence": planned.confidence, "basis": planned.basis}
                        for planned in plan.attributions.values()
                    ],
                )
            except Refused as refusal:
                field = next(iter(refusal.errors))
                raise _RowRefused(plan.first_row, SPREADSHEET_COLUMN.get(field, ""), refusal) from None
        for victim in plan.victims:
            victim.source_name = victim.source_name or source
        new_victims += [(incident, victim) for victim in plan.victims]
    try:
        victims_add(incident_victims=new_victims, actor=actor)
    except Refused as refusal:
        raise _RowRefused(0, "", refusal) from None
    return [victim for _incident, victim in new_victims]
