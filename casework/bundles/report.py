"""report.pdf of an evidence packet: HTML rendered by WeasyPrint (pango shapes Arabic right-to-left)."""

import base64
from collections import Counter

from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone, translation

from casework.incidents.services import incident_tolls


def _thumbnail_data_uri(item) -> str:
    if not item.thumbnail:
        return ""
    with default_storage.open(item.thumbnail.name, "rb") as thumbnail:
        return "data:image/jpeg;base64," + base64.b64encode(thumbnail.read()).decode()


def render_report(*, bundle, incidents, exhibits, statements, excluded, show_locations: bool) -> bytes:
    """`exhibits`: (exhibit number, media item, manifest entry) for each file in the packet."""
    import weasyprint  # imported here: only packet builds need it, and it is slow to import

    facilities = Counter(facility.name for incident in incidents for facility in incident.facilities_hit.all())
    weapons = Counter(weapon.name for incident in incidents for weapon in incident.weapons.all())
    # Computed now from the victims, not read from the cached columns a worker may not have refreshed yet.
    per_incident = [incident_tolls(incident_id=incident.pk) for incident in incidents]
    tolls = {
        name: sum(int(toll[name]) for toll in per_incident)
        for name in ("civilians_killed", "children_killed", "adult_women_killed", "injured")
    }
    tolls["massacres"] = sum(1 for toll in per_incident if toll["is_massacre"])
    with translation.override("en"):
        html = render_to_string(
            "bundles/report.html",
            {
                "bundle": bundle,
                "case": bundle.case,
                "generated_at": timezone.now(),
                "incidents": incidents,
                "tolls": tolls,
                "facilities": sorted(facilities.items()),
                "weapons": sorted(weapons.items()),
                "exhibits": [
                    {"number": number, "item": item, "entry": entry, "thumbnail": _thumbnail_data_uri(item)}
                    for number, item, entry in exhibits
                ],
                "statements": statements,
                "excluded": excluded,
                "show_locations": show_locations,
                "show_victim_names": bundle.profile != "public",
            },
        )
    return weasyprint.HTML(string=html).write_pdf()
