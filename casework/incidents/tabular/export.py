"""Export: the case's incidents and victims in the shape the import reads."""

import csv
import io
from collections.abc import Iterator
from datetime import datetime, time
from typing import IO

from django.db.models import Prefetch
from django.utils import timezone

from casework.cases.models import Case
from casework.incidents.models import Attribution, Incident, Victim
from casework.incidents.tabular.columns import (
    ATTRIBUTION_COLUMNS,
    BOM,
    COLUMNS,
    FORMULA_START,
    INCIDENT_COLUMNS,
    LIST_SEPARATOR,
    VICTIM_COLUMNS,
)


def victims_csv_rows(case: Case) -> Iterator[list[str]]:
    """The header, then one row per victim (one row with empty victim cells for an incident without victims).

    The incident's attributions go one per row beside its victims, the first on the first row; an incident
    with more attributions than victims gets rows with empty victim cells for the rest. Incidents in date
    order, then by reference; victims and attributions in the order they were recorded. Five queries per 500
    incidents: incidents with governorate and type, weapons, facilities, attributions with party, victims with
    occupation.
    """
    yield list(COLUMNS)
    incidents = (
        Incident.objects.filter(case=case)
        .select_related("governorate", "incident_type")
        .prefetch_related(
            "weapons",
            "facilities_hit",
            Prefetch("attributions", queryset=Attribution.objects.select_related("party").order_by("id")),
            Prefetch("victims", queryset=Victim.objects.select_related("occupation").order_by("id")),
        )
        .order_by("start_time", "reference")
    )
    no_attribution, no_victim = [""] * len(ATTRIBUTION_COLUMNS), [""] * len(VICTIM_COLUMNS)
    for incident in incidents.iterator(chunk_size=500):
        cells = [incident_cells(incident)[column] for column in INCIDENT_COLUMNS]
        attributions = [_attribution_cells(attribution) for attribution in incident.attributions.all()]
        victims = [_victim_cells(victim) for victim in incident.victims.all()]
        for index in range(max(len(attributions), len(victims), 1)):
            yield (
                cells
                + (attributions[index] if index < len(attributions) else no_attribution)
                + (victims[index] if index < len(victims) else no_victim)
            )


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
        _escape(victim.source_name),
    ]


def _attribution_cells(attribution: Attribution) -> list[str]:
    return [attribution.party.code, attribution.confidence, _escape(attribution.basis)]
