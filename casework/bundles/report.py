"""report.pdf of an evidence packet: HTML rendered by WeasyPrint (pango shapes Arabic right-to-left)."""

import base64
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone, translation

from casework.incidents.services import incident_tolls


class FetchRefused(ValueError):
    """The report asked for something outside what the packet's builder allows."""


def _thumbnail_data_uri(item) -> str:
    if not item.thumbnail:
        return ""
    with default_storage.open(item.thumbnail.name, "rb") as thumbnail:
        return "data:image/jpeg;base64," + base64.b64encode(thumbnail.read()).decode()


def static_directories() -> list[Path]:
    """The app's own static folders (STATICFILES_DIRS and each installed app's static/)."""
    folders = [Path(folder if isinstance(folder, str) else folder[1]) for folder in settings.STATICFILES_DIRS]
    folders += [Path(config.path) / "static" for config in apps.get_app_configs()]
    return [folder.resolve() for folder in folders if folder.is_dir()]


def report_url_fetcher(allowed_data_uris: set[str]):
    """A WeasyPrint fetcher that fetches nothing from the network: only the data: URIs the builder made and
    files under the app's static folders. Anything else (http:, https:, ftp:, other files) is refused."""
    from weasyprint.urls import URLFetcher

    static_folders = static_directories()

    class ReportURLFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data" and url in allowed_data_uris:
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(unquote(urlsplit(url).path)).resolve()
                if any(path.is_relative_to(folder) for folder in static_folders) and path.is_file():
                    return super().fetch(url, headers)
            raise FetchRefused(f"the report may not fetch {url[:80]}")

    return ReportURLFetcher(allowed_protocols=("data", "file"), allow_redirects=False)


def render_report(*, bundle, rules, incidents, exhibits, statements, excluded) -> bytes:
    """`exhibits`: (exhibit number, media item, manifest entry) for each file in the packet; `rules`: the
    bundle's ProfileRules."""
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
    exhibit_rows = [
        {"number": number, "item": item, "entry": entry, "thumbnail": _thumbnail_data_uri(item)}
        for number, item, entry in exhibits
    ]
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
                "exhibits": exhibit_rows,
                "statements": statements,
                "excluded": excluded,
                "excluded_count": sum(entry.get("count", 1) for entry in excluded),
                "show_locations": rules.shows_locations,
                "show_victim_names": rules.shows_victim_names,
            },
        )
    fetcher = report_url_fetcher({row["thumbnail"] for row in exhibit_rows if row["thumbnail"]})
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()
