"""Checking a file against a case (a dry run) and importing it, all or nothing."""

from datetime import date, datetime, time
from pathlib import PurePath
from typing import IO

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from casework.cases.models import Case
from casework.errors import Refused, checked
from casework.incidents.models import Attribution, DatePrecision, Incident, SpreadsheetImport, Victim
from casework.incidents.services import incident_schedule_toll_refresh
from casework.incidents.tabular.reading import read_and_check
from casework.incidents.tabular.report import ImportReport, PlannedIncident


def victims_csv_check(case: Case, file: IO, *, allow_reimport: bool = False) -> ImportReport:
    """Parse and validate the whole file against the case; writes nothing. `file` is binary or text.

    Reports exactly what `victims_csv_import` with the same `allow_reimport` would refuse.
    """
    report, _plans = read_and_check(case, file, lock=False, allow_reimport=allow_reimport)
    return report


def victims_csv_import(
    case: Case, file: IO, actor=None, *, file_name: str = "", allow_reimport: bool = False
) -> ImportReport:
    """Check the file and, only if it has no problem at all, write it in one transaction.

    New incidents get `created_by=actor` and their attributions (each run through the model's checks
    first); the toll refresh of every incident that gained victims (or was created) is scheduled for after
    the commit, and the import is recorded (SpreadsheetImport) with the file's SHA-256 and `file_name`. A
    file recorded for the case before is refused unless `allow_reimport`. Imports into one case run one after
    the other (the case row is locked), so two people importing the same file at once cannot both pass that
    check. After the commit, PostgreSQL's planner statistics of the filled tables are refreshed. A database
    error rolls everything back and propagates, except a clash with a concurrent import of the same
    reference, which is reported as a problem, as is a record the model's checks refuse.
    """
    try:
        with transaction.atomic():
            list(Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True))
            report, plans = read_and_check(case, file, lock=True, allow_reimport=allow_reimport)
            if report.is_valid:
                _write(case, plans, actor)
                _record(case, report, actor, file_name)
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


def _write_attributions(incident: Incident, plan: PlannedIncident, actor) -> None:
    """The attributions of a new incident, each checked by the model (fields and constraints) first."""
    for planned in plan.attributions.values():
        attribution = Attribution(
            incident=incident, party=planned.party, confidence=planned.confidence, basis=planned.basis
        )
        attribution._history_user = actor
        try:
            checked(attribution)
        except Refused as refusal:
            raise _RowRefused(planned.row, "perpetrator_party", refusal) from None
        attribution.save()


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


def _record(case: Case, report: ImportReport, actor, file_name: str) -> None:
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


def _to_moment(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return timezone.make_aware(datetime.combine(value, time.min))


def _write(case: Case, plans: list[PlannedIncident], actor) -> None:
    victims: list[Victim] = []
    touched: list[Incident] = []
    for plan in plans:
        incident = plan.existing
        if incident is None:
            values = {column: value for column, (value, _text, _row) in plan.values.items()}
            incident = Incident(
                case=case,
                reference=plan.reference,
                title=values["incident_title"],
                start_time=_to_moment(values["incident_date"]),
                date_precision=values.get("date_precision", DatePrecision.EXACT),
                governorate=values["governorate"],
                district=values.get("district", ""),
                locality=values.get("locality", ""),
                latitude=values.get("latitude"),
                longitude=values.get("longitude"),
                incident_type=values["incident_type"],
                created_by=actor,
            )
            # The revision history names the person also outside a web request (commands).
            incident._history_user = actor
            incident.save()
            incident.weapons.set(values.get("weapons", ()))
            incident.facilities_hit.set(values.get("facilities_hit", ()))
            _write_attributions(incident, plan, actor)
            touched.append(incident)
        elif plan.victims:
            touched.append(incident)
        for victim in plan.victims:
            victim.incident = incident
            victims.append(victim)
    if victims:
        bulk_create_with_history(victims, Victim, batch_size=500, default_user=actor)
    for incident in touched:
        incident_schedule_toll_refresh(incident_id=incident.pk)
