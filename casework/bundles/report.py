"""report.pdf of an evidence packet: HTML rendered by WeasyPrint (pango shapes Arabic right-to-left)."""

import base64
import datetime
import gc
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.bundles import signing
from casework.bundles.pdf_join import PdfJoin
from casework.bundles.verify_bundle import key_fingerprint
from casework.evidence.models import NearDuplicate
from casework.evidence.uploads import incoming_dir
from casework.incidents.services import incident_tolls
from casework.web import formatting
from casework.witnesses.models import InterviewMethod, ReviewStatus


class FetchRefused(ValueError):
    """The report asked for something outside what the packet's builder allows."""


def _thumbnail_data_uri(item) -> str:
    if not item.thumbnail:
        return ""
    with default_storage.open(item.thumbnail.name, "rb") as thumbnail:
        return "data:image/jpeg;base64," + base64.b64encode(thumbnail.read()).decode()


def _thumbnail_source(item) -> str:
    """Where the report reads an item's thumbnail: its stored file when the storage keeps files on this
    machine, else a data: URI. A file URL keeps the picture out of the HTML (and out of the template's and
    the parser's copies of it): for 1,000 exhibits that is 13 MB of base64 text less, copied several times."""
    if not item.thumbnail:
        return ""
    try:
        path = default_storage.path(item.thumbnail.name)
    except NotImplementedError:
        return _thumbnail_data_uri(item)
    return Path(path).resolve().as_uri()


def static_directories() -> list[Path]:
    """The app's own static folders (STATICFILES_DIRS and each installed app's static/)."""
    folders = [Path(folder if isinstance(folder, str) else folder[1]) for folder in settings.STATICFILES_DIRS]
    folders += [Path(config.path) / "static" for config in apps.get_app_configs()]
    return [folder.resolve() for folder in folders if folder.is_dir()]


def report_url_fetcher(allowed_uris: set[str]):
    """A WeasyPrint fetcher that fetches nothing from the network: only the data: URIs and the files (the
    thumbnails, as file: URLs) the builder named, and files under the app's static folders. Anything else
    (http:, https:, ftp:, other files) is refused."""
    from weasyprint.urls import URLFetcher

    static_folders = static_directories()
    allowed_files = {
        Path(unquote(urlsplit(uri).path)).resolve() for uri in allowed_uris if urlsplit(uri).scheme == "file"
    }

    class ReportURLFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data" and url in allowed_uris:
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(unquote(urlsplit(url).path)).resolve()
                named = path in allowed_files or any(path.is_relative_to(folder) for folder in static_folders)
                if named and path.is_file():
                    return super().fetch(url, headers)
            raise FetchRefused(f"the report may not fetch {url[:80]}")

    return ReportURLFetcher(allowed_protocols=("data", "file"), allow_redirects=False)


EXCLUDED_KINDS = {"media": _("Media item"), "testimony": _("Testimony")}


def css_string(text: str) -> str:
    """`text` as a CSS string literal for the page margins (no quote, backslash, line break or "</style>" can
    end it early)."""
    escaped = "".join(
        character if character.isalnum() or character in " -–—·.,:;()/&'_+" else f"\\{ord(character):x} "
        for character in str(text)
    )
    return mark_safe(f'"{escaped}"')


def capture_zone_known(item) -> bool:
    """Whether the file gave the zone of its capture time (else the stored time is the device's clock)."""
    return item.capture_time_zone_known


def _media_facts(item) -> str:
    parts = [item.mime_type]
    if item.width and item.height:
        parts.append(f"{item.width}×{item.height}")
    if item.duration_seconds:
        parts.append(formatting.format_duration(item.duration_seconds))
    return ", ".join(parts)


def _duplicate_pairs(numbers: dict[int, str]) -> list[dict]:
    """Near-duplicate pairs whose two items are both exhibits of this packet, closest first."""
    return [
        {
            "first": numbers[pair.first_id],
            "second": numbers[pair.second_id],
            "first_id": pair.first_id,
            "second_id": pair.second_id,
            "distance": pair.distance,
            "status": pair.get_status_display(),
        }
        for pair in NearDuplicate.objects.filter(first_id__in=numbers, second_id__in=numbers).order_by("distance", "pk")
    ]


def _exhibit_facts(item, entry, rules, duplicates: list[str]) -> str:
    """An exhibit's facts as lines of one text block: a few boxes per exhibit instead of a table of cells
    keeps a 100-exhibit report quick to lay out."""
    if entry.get("is_original"):
        copy = gettext("the original, byte for byte")
    else:
        copy = gettext("a metadata-free copy; the original is not included")
    lines = [(gettext("File:"), f"{entry['path']}, {formatting.format_bytes(entry['size'])}, {copy}")]
    if rules.shows_original_filenames and item.original_filename:
        # Isolated, so an Arabic name keeps its own order inside the English line.
        name = formatting.format_filename(item.original_filename)
        lines.append((gettext("Original file name:"), f"\u2068{name}\u2069"))
    lines.append((gettext("SHA-256:"), entry["sha256"]))
    if item.sha256 != entry["sha256"]:
        lines.append((gettext("SHA-256 of the original:"), item.sha256))
    source = item.get_source_display()
    if entry.get("source_url"):
        source = f"{source} ({entry['source_url']})"
    acquired = gettext("acquired %(when)s by %(who)s") % {
        "when": formatting.format_datetime(item.acquired_at),
        "who": entry.get("acquired_by", ""),
    }
    lines.append((gettext("Source:"), f"{source}; {acquired}"))
    captured = formatting.format_capture_time(item.capture_time, zone_known=capture_zone_known(item))
    if rules.shows_locations:
        if item.latitude is not None and item.longitude is not None:
            where = gettext("at %(position)s") % {
                "position": formatting.format_coordinates(item.latitude, item.longitude)
            }
            captured = f"{captured}, {where}"
        device = " ".join(filter(None, [item.device_make, item.device_model]))
        if device:
            captured = f"{captured}; {device}"
    lines.append((gettext("Captured:"), captured))
    lines.append((gettext("Media:"), _media_facts(item)))
    if duplicates:
        lines.append((gettext("Near-duplicate pairs:"), ", ".join(duplicates)))
    return "\n".join(f"{label} {value}" for label, value in lines)


def _exhibit_rows(exhibits, rules, pairs: list[dict]) -> list[dict]:
    duplicates: dict[int, list[str]] = {}
    for pair in pairs:
        duplicates.setdefault(pair["first_id"], []).append(f"{pair['second']} ({pair['status']})")
        duplicates.setdefault(pair["second_id"], []).append(f"{pair['first']} ({pair['status']})")
    return [
        {
            "number": number,
            "anchor": f"exhibit-{index}",
            "kind": item.get_kind_display(),
            "review": item.get_verification_status_display(),
            # Isolated, so an Arabic name keeps its own order inside the English line.
            "filename": f"\u2068{formatting.format_filename(item.original_filename)}\u2069"
            if rules.shows_original_filenames and item.original_filename
            else "",
            "sha256": entry["sha256"],
            "facts": _exhibit_facts(item, entry, rules, duplicates.get(item.pk, [])),
            "thumbnail": _thumbnail_source(item),
        }
        for index, (number, item, entry) in enumerate(exhibits, start=1)
    ]


def _statement_rows(statements) -> list[dict]:
    return [
        {
            "witness": statement["witness"],
            "witness_name": statement.get("witness_name"),
            "interviewed": formatting.format_date(datetime.date.fromisoformat(statement["interview_date"])),
            "method": formatting.choice_label(InterviewMethod, statement["method"]),
            "language": formatting.language_name(statement["language"]),
            "language_code": statement["language"],
            "status": formatting.choice_label(ReviewStatus, statement.get("status", "")),
            "incidents": statement.get("incidents", []),
            "paragraphs": formatting.paragraphs(statement["text"]),
            "translations": [
                {
                    "language": formatting.language_name(language),
                    "language_code": language,
                    "paragraphs": formatting.paragraphs(text),
                }
                for language, text in statement["translations"].items()
            ],
        }
        for statement in statements
    ]


def render_report(*, bundle, rules, incidents, exhibits, statements, excluded, output: BinaryIO) -> None:
    """Write report.pdf into `output` (a file open for writing: the report is not held in memory whole).
    `exhibits`: (exhibit number, media item, manifest entry) for each file in the packet; `rules`: the
    bundle's ProfileRules. What the report shows of each item follows `rules` only."""
    prefetch_related_objects(
        incidents,
        "governorate",
        "incident_type",
        "weapons",
        "facilities_hit",
        "attributions__party",
        "victims__occupation",
    )
    facilities = Counter(facility.name for incident in incidents for facility in incident.facilities_hit.all())
    weapons = Counter(weapon.name for incident in incidents for weapon in incident.weapons.all())
    # Computed now from the victims (the same rules as the tolls kept on the incidents, which follow every write).
    per_incident = [incident_tolls(incident_id=incident.pk) for incident in incidents]
    tolls = {
        name: sum(int(toll[name]) for toll in per_incident)
        for name in ("civilians_killed", "children_killed", "adult_women_killed", "injured")
    }
    tolls["massacres"] = sum(1 for toll in per_incident if toll["is_massacre"])
    organisation = settings.CASEWORK_ORGANISATION_NAME
    with translation.override("en"):
        duplicate_pairs = _duplicate_pairs({item.pk: number for number, item, _entry in exhibits})
        exhibit_rows = _exhibit_rows(exhibits, rules, duplicate_pairs)
        context = {
            "bundle": bundle,
            "case": bundle.case,
            "organisation": organisation,
            "marking": rules.confidentiality,
            "handling": rules.handling,
            "header_organisation": css_string(organisation),
            "header_marking": css_string(rules.confidentiality),
            "header_packet": css_string(
                gettext("Evidence packet %(number)s, %(case)s") % {"number": bundle.pk, "case": bundle.case.reference}
            ),
            "key_fingerprint": key_fingerprint(signing.public_key_pem()),
            "generated_at": formatting.format_datetime(timezone.now()),
            "incidents": incidents,
            "tolls": tolls,
            "facilities": sorted(facilities.items()),
            "weapons": sorted(weapons.items()),
            "exhibit_count": len(exhibit_rows),
            "duplicate_pairs": duplicate_pairs,
            "statements": _statement_rows(statements),
            "excluded": [{**entry, "kind": EXCLUDED_KINDS.get(entry["kind"], entry["kind"])} for entry in excluded],
            "excluded_count": sum(entry.get("count", 1) for entry in excluded),
            "show_locations": rules.shows_locations,
            "show_victim_names": rules.shows_victim_names,
            "show_filenames": rules.shows_original_filenames,
        }
        fetcher = report_url_fetcher({row["thumbnail"] for row in exhibit_rows if row["thumbnail"]})
        _render_in_parts(context, exhibit_rows, fetcher, output)


# Exhibits (and exhibit index entries) laid out per document part: each part's boxes and styles are freed
# once it is written, so the render's memory follows these numbers, not the packet's exhibits.
EXHIBITS_PER_PART = 100
INDEX_ENTRIES_PER_PART = 100
# A first guess of the index's length in pages (it is laid out again if the guess was wrong).
INDEX_ENTRIES_PER_PAGE = 26
# The page numbers are laid out for whole parts of up to this many pages together (more when one part is
# longer): a few small documents, not one per part (each costs a layout and a collection) nor one of every page.
NUMBERED_PAGES_PER_DOCUMENT = 25


@dataclass
class _Part:
    path: Path
    pages: int


@dataclass
class _PartRenderer:
    """Lays out parts of the report, each a PDF file of its own in `folder`."""

    weasyprint: object
    fonts: object
    fetcher: object
    context: dict
    folder: Path
    rendered: int = 0

    def render(self, **part) -> tuple[_Part, dict[str, int]]:
        """One part as a PDF file, and the page (from 0) of each element id in it."""
        html = render_to_string("bundles/report.html", {**self.context, **part})
        document = self.weasyprint.HTML(string=html, url_fetcher=self.fetcher).render(font_config=self.fonts)
        anchors = {anchor: number for number, page in enumerate(document.pages) for anchor in page.anchors}
        self.rendered += 1
        rendered = _Part(self.folder / f"part-{self.rendered}.pdf", len(document.pages))
        document.write_pdf(rendered.path)
        del document
        gc.collect()  # the layout's boxes hold reference cycles: free them before the next part is laid out
        return rendered, anchors

    def render_chunks(self, part: str, chunks: list[list]) -> list[tuple[_Part, dict]]:
        return [
            self.render(part=part, exhibits=chunk, first_chunk=number == 0, last_chunk=number == len(chunks) - 1)
            for number, chunk in enumerate(chunks)
        ]


def _chunks(rows: list, size: int) -> list[list]:
    return [rows[start : start + size] for start in range(0, len(rows), size)] or [[]]


def _render_in_parts(context: dict, exhibit_rows: list[dict], fetcher, output: BinaryIO) -> None:
    """report.pdf laid out as separate WeasyPrint documents and joined page by page: the cover, summary,
    incidents and testimonies; the exhibit index, INDEX_ENTRIES_PER_PART entries at a time; the exhibits,
    EXHIBITS_PER_PART at a time. Each part starts on a page of its own, and is written to a file and freed
    before the next is laid out. The exhibits are laid out before the index, which gives each exhibit's page
    from where its part put it (and is laid out again if the guess of its own length was wrong). Then each
    part gets its page numbers ("page / pages", laid out for a few parts' pages at a time and placed over
    them) and is copied into report.pdf with its bookmarks, one part at a time: no step holds the whole
    report's pages."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    # The parts' boxes hold reference cycles: a collection after each part frees them. Freezing what the
    # process held before keeps each collection to the objects of the render (0.09 s a collection to 0.02).
    gc.freeze()
    try:
        # The parts wait beside the uploads, on the evidence's storage (private to this process: mode 0700).
        with tempfile.TemporaryDirectory(prefix="report-", dir=incoming_dir()) as folder:
            parts = _PartRenderer(weasyprint, FontConfiguration(), fetcher, context, Path(folder))
            _render_frozen(parts, exhibit_rows, output)
    finally:
        gc.unfreeze()


def _render_frozen(renderer: _PartRenderer, exhibit_rows: list[dict], output: BinaryIO) -> None:
    front, _anchors = renderer.render(part="front")
    exhibit_parts, exhibit_pages, offset = [], {}, 0
    for part, anchors in renderer.render_chunks("exhibits", _chunks(exhibit_rows, EXHIBITS_PER_PART)):
        exhibit_pages.update({anchor: offset + page for anchor, page in anchors.items()})
        exhibit_parts.append(part)
        offset += part.pages
    index_pages = sum(
        -(-len(chunk) // INDEX_ENTRIES_PER_PAGE) or 1 for chunk in _chunks(exhibit_rows, INDEX_ENTRIES_PER_PART)
    )
    for _attempt in range(4):
        first_exhibit_page = front.pages + index_pages + 1
        rows = [{**row, "page": first_exhibit_page + exhibit_pages[row["anchor"]]} for row in exhibit_rows]
        index_parts = [
            part for part, _anchors in renderer.render_chunks("index", _chunks(rows, INDEX_ENTRIES_PER_PART))
        ]
        if sum(part.pages for part in index_parts) == index_pages:
            break
        index_pages = sum(part.pages for part in index_parts)
        for part in index_parts:
            part.path.unlink()
    else:
        raise RuntimeError("the exhibit index's length changes with its own page numbers")
    title = gettext("Evidence packet %(number)s") % {"number": renderer.context["bundle"].pk}
    _join(renderer, [front, *index_parts, *exhibit_parts], output, title=title)


def _join(renderer: _PartRenderer, parts: list[_Part], output: BinaryIO, *, title: str) -> None:
    """The parts' pages one after the other (with their bookmarks), each with its page number laid over it,
    written into `output`. Each part is copied on its own, and its file deleted once copied."""
    from pypdf import PdfReader, PdfWriter

    join = PdfJoin(output)
    for part, number_pages in zip(parts, _number_pages(renderer, parts), strict=True):
        writer = PdfWriter()
        writer.append(PdfReader(part.path))
        for page, number in zip(writer.pages, number_pages, strict=True):
            page.merge_page(number)
            page.compress_content_streams()  # the merge leaves them uncompressed
        outline = writer.root_object.get("/Outlines")
        join.add(
            writer.pages,
            outline=outline.get_object() if outline is not None else None,
            names=_named_destinations(writer.root_object),
        )
        del writer, number_pages
        part.path.unlink()
    join.finish({"/Title": title, "/Producer": "WeasyPrint, pypdf"})


def _number_pages(renderer: _PartRenderer, parts: list[_Part]):
    """For each part in turn, the pages that bear its pages' numbers ("page / pages"): laid out for whole parts
    of up to NUMBERED_PAGES_PER_DOCUMENT pages together, from the first page number of the first of them."""
    from pypdf import PdfReader

    total = sum(part.pages for part in parts)
    first_page, start = 1, 0
    while start < len(parts):
        end = start + 1
        while end < len(parts) and sum(part.pages for part in parts[start : end + 1]) <= NUMBERED_PAGES_PER_DOCUMENT:
            end += 1
        count = sum(part.pages for part in parts[start:end])
        numbers, _anchors = renderer.render(part="numbers", pages=range(count), first_page=first_page, total=total)
        pages = PdfReader(numbers.path).pages
        numbers.path.unlink()
        if len(pages) != count:
            raise RuntimeError(f"{len(pages)} page numbers for {count} pages")
        offset = 0
        for part in parts[start:end]:
            yield [pages[offset + number] for number in range(part.pages)]
            offset += part.pages
        first_page += count
        start = end


def _named_destinations(root):
    """The /Dests name array of a document's catalog (name, destination, name...), if it has one."""
    names = root.get("/Names")
    dests = names.get_object().get("/Dests") if names is not None else None
    return dests.get_object().get("/Names") if dests is not None else None
