"""Export: the case's incidents and victims in the shape the import reads."""

import csv
import io
from collections.abc import Iterator
from datetime import datetime, time
from typing import IO

from django.db.models import Prefetch
from django.utils import timezone

from casework.cases.models import Case
from casework.incidents.models import Incident, Victim
from casework.incidents.tabular.columns import (
    BOM,
    COLUMNS,
    FORMULA_START,
    INCIDENT_COLUMNS,
    LIST_SEPARATOR,
    VICTIM_COLUMNS,
)


def victims_csv_rows(case: Case) -> Iterator[list[str]]:
    """The header, then one row per victim (one row with empty victim cells for an incident without victims).

    Incidents in date order, then by reference; victims in the order they were recorded. Four queries per
    500 incidents: incidents with governorate and type, weapons, facilities, victims with occupation.
    """
    yield list(COLUMNS)
    incidents = (
        Incident.objects.filter(case=case)
        .select_related("governorate", "incident_type")
        .prefetch_related(
            "weapons",
            "facilities_hit",
            Prefetch("victims", queryset=Victim.objects.select_related("occupation").order_by("id")),
        )
        .order_by("start_time", "reference")
    )
    for incident in incidents.iterator(chunk_size=500):
        cells = [incident_cells(incident)[column] for column in INCIDENT_COLUMNS]
        victims = list(incident.victims.all())
        if not victims:
            yield cells + [""] * len(VICTIM_COLUMNS)
        for victim in victims:
            yield cells + _victim_cells(victim)


def victims_csv_chunks(case: Case) -> Iterator[str]:
    """The export as text pieces, for a streaming response. Starts with a BOM so Excel reads it as UTF-8."""
    writer = csv.writer(_Echo())
    yield BOM
    for row in victims_csv_rows(case):
        yield writer.writerow(row)


def victims_csv_export(case: Case, stream: IO[str]) -> None:
    """Write the case's incidents and victims as CSV to a text stream (open it with newline="")."""
    for chunk in victims_csv_chunks(case):
        stream.write(chunk)


def victims_csv_template() -> str:
    """A file with the header row only, to fill in."""
    buffer = io.StringIO()
    buffer.write(BOM)
    csv.writer(buffer).writerow(COLUMNS)
    return buffer.getvalue()


class _Echo:
    def write(self, value: str) -> str:
        return value


def _escape(text: str) -> str:
    return "'" + text if FORMULA_START.match(text) else text


def _format_moment(moment: datetime) -> str:
    local = timezone.localtime(moment)
    if local.time() == time.min:
        return local.date().isoformat()
    return local.isoformat()


def _codes(terms) -> str:
    return LIST_SEPARATOR.join(sorted(term.code for term in terms))


def incident_cells(incident: Incident) -> dict[str, str]:
    return {
        "incident_reference": _escape(incident.reference),
        "incident_title": _escape(incident.title),
        "incident_date": _format_moment(incident.start_time),
        "date_precision": incident.date_precision,
        "governorate": incident.governorate.code,
        "district": _escape(incident.district),
        "locality": _escape(incident.locality),
        "latitude": "" if incident.latitude is None else str(incident.latitude),
        "longitude": "" if incident.longitude is None else str(incident.longitude),
        "incident_type": incident.incident_type.code,
        "weapons": _codes(incident.weapons.all()),
        "facilities_hit": _codes(incident.facilities_hit.all()),
    }


def _victim_cells(victim: Victim) -> list[str]:
    return [
        _escape(victim.name),
        victim.sex,
        "" if victim.age is None else str(victim.age),
        victim.age_band,
        victim.combatant_status,
        victim.status,
        victim.occupation.code if victim.occupation_id else "",
        _escape(victim.notes),
    ]
