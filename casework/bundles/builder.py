"""Writing an evidence packet: one stored (never deflated) ZIP64, streamed in 1 MiB chunks, every file hashed
in the same pass, with a signed manifest. Memory stays flat whatever the size of the videos.

What goes in is decided by the bundle's redaction profile (`profiles.rules_for`) and, for each witness, by
their consent on the day of the build; this module only follows those answers.
"""

import hashlib
import io
import json
import os
import tempfile
import unicodedata
import warnings
import zipfile
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils import timezone, translation
from PIL import Image, ImageFile, ImageOps

from casework.bundles import capture_exhibits, profiles, signing
from casework.bundles.models import BundleScope, EvidenceBundle
from casework.bundles.report import render_report
from casework.captures.models import Capture
from casework.cases.models import CaseMembership
from casework.evidence.custody import custody_head_hash, event_canonical_form
from casework.evidence.models import MediaItem
from casework.evidence.selectors import custody_history
from casework.evidence.uploads import incoming_dir
from casework.incidents.models import Incident
from casework.witnesses.consent import Disclosure
from casework.witnesses.models import Testimony, Witness

CHUNK = 1024 * 1024
SOFTWARE = "Casework 0.1.0"
VERIFIER = Path(__file__).with_name("verify_bundle.py")
DAT_DELIMITER, DAT_QUOTE = "\x14", "\xfe"  # Concordance DAT: ¶ (ASCII 20) between fields, þ around them
PACKET_FILE_MODE = 0o600

# An exhibit's extension comes from the type sniffed from its bytes, never from the sender's file name (which
# can carry right-to-left overrides, control characters or a misleading extension).
EXHIBIT_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/tiff": ".tif",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "video/x-matroska": ".mkv",
    "video/3gpp": ".3gp",
    "video/x-msvideo": ".avi",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/x-m4a": ".m4a",
    "audio/ogg": ".ogg",
    "audio/x-wav": ".wav",
    "audio/wav": ".wav",
    "audio/amr": ".amr",
    "audio/x-hx-aac-adts": ".aac",
    "audio/aac": ".aac",
    "audio/flac": ".flac",
    "application/pdf": ".pdf",
}
# Only these decoders make metadata-free copies, chosen from the sniffed type: Pillow never guesses.
COPY_DECODERS = {
    "image/jpeg": ["JPEG"],
    "image/png": ["PNG"],
    "image/webp": ["WEBP"],
    "image/tiff": ["TIFF"],
}


class OriginalAltered(Exception):
    """A stored original no longer matches the hash recorded at intake: never export it."""


class NotReencodable(Exception):
    """A photo that cannot be decoded completely, so no metadata-free copy of it can be made."""


@dataclass
class PacketWriter:
    archive: zipfile.ZipFile
    files: list[dict] = field(default_factory=list)

    def add_stream(self, path: str, stream, **facts) -> dict:
        digest = hashlib.sha256()
        size = 0
        info = zipfile.ZipInfo(path, date_time=timezone.now().timetuple()[:6])
        info.compress_type = zipfile.ZIP_STORED
        with self.archive.open(info, "w", force_zip64=True) as member:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                member.write(chunk)
        entry = {"path": path, "size": size, "sha256": digest.hexdigest(), **facts}
        self.files.append(entry)
        return entry

    def add_bytes(self, path: str, data: bytes, **facts) -> dict:
        return self.add_stream(path, io.BytesIO(data), **facts)


@dataclass
class PacketResult:
    manifest_sha256: str
    # Items whose file (original or copy) is in the packet: only they are recorded as exported.
    exported_item_ids: list[int]
    # [{"witness": id, "pseudonym": ..., "disclosure": "pseudonym" | "name", "carries": [...]}]
    witness_material: list[dict]
    testimony_count: int = 0

    @property
    def named_witness_ids(self) -> list[int]:
        return [entry["witness"] for entry in self.witness_material if entry["disclosure"] == Disclosure.NAME]


def bundle_incidents(bundle: EvidenceBundle):
    if bundle.scope == BundleScope.CASE:
        return Incident.objects.filter(case=bundle.case)
    return bundle.incidents.all()


def witnesses_in_scope(bundle: EvidenceBundle):
    """Every witness whose testimony or media a packet of `bundle` could carry."""
    incidents = bundle_incidents(bundle)
    return Witness.objects.filter(
        Q(testimonies__incidents__in=incidents)
        | Q(media_items__incidents__in=incidents)
        | Q(testimonies__media_items__incidents__in=incidents),
        case=bundle.case,
    ).distinct()


def capture_time_text(item: MediaItem) -> str | None:
    """ISO 8601 with the offset when the zone is known; the device's clock time without an offset when not
    (never a made-up +00:00)."""
    if item.capture_time is None:
        return None
    if item.capture_time_zone_known:
        return item.capture_time.isoformat()
    return item.capture_wall_clock.isoformat()


def exhibit_number(item: MediaItem) -> str:
    """The item's own exhibit number, given at intake: the same in every packet, report and page."""
    return item.exhibit_number


def exhibit_extension(item: MediaItem) -> str:
    return EXHIBIT_EXTENSIONS.get(item.mime_type, ".bin")


@contextmanager
def complete_decodes_only():
    """Pillow refuses a truncated image while this is open. Importing WeasyPrint switches
    LOAD_TRUNCATED_IMAGES on for the whole process, which would publish a half-grey photo as a copy."""
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous


def metadata_free_copy(item: MediaItem) -> bytes:
    """A photo re-encoded without EXIF (no GPS, no device), upright; the original never leaves.

    Raises NotReencodable for a type without a decoder here (HEIC), a truncated or damaged file, or one too
    large to decode safely.
    """
    decoders = COPY_DECODERS.get(item.mime_type)
    if decoders is None:
        raise NotReencodable(item.mime_type)
    try:
        with (
            complete_decodes_only(),
            default_storage.open(item.original.name, "rb") as original,
            Image.open(original, formats=decoders) as image,
        ):
            image.load()
            upright = ImageOps.exif_transpose(image).convert("RGB")
            buffer = io.BytesIO()
            upright.save(buffer, "JPEG", quality=92)
            return buffer.getvalue()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # UnidentifiedImageError and "image file is truncated" are OSErrors; SyntaxError is how some
        # Pillow plugins report a malformed header.
        raise NotReencodable(type(error).__name__) from error


def _excluded_entries(excluded: list[dict], rules: profiles.ProfileRules) -> list[dict]:
    """The left-out list as the packet shows it: each item, or (without identifiers) counts by kind and reason."""
    if rules.lists_withheld_items:
        return excluded
    counts = Counter((entry["kind"], entry["reason"]) for entry in excluded)
    return [{"kind": kind, "reason": reason, "count": count} for (kind, reason), count in sorted(counts.items())]


def _custody_excerpt(item: MediaItem | Capture, rules: profiles.ProfileRules, roles: dict[int, str]) -> list[dict]:
    events = []
    for event in custody_history(target=item):
        if rules.custody_in_full:
            # Every field the event's hash covers, exactly as hashed, so a recipient can re-hash it.
            events.append({**json.loads(event_canonical_form(event)), "event_hash": event.event_hash})
            continue
        who = "system"
        if event.actor_id is not None:
            who = profiles.staff_label(username=event.actor_label, role=roles.get(event.actor_id), rules=rules)
        # No usernames and no details (they can name other recipients): the hashes and their links only.
        events.append(
            {
                "sequence": event.sequence,
                "occurred_at": json.loads(event_canonical_form(event))["occurred_at"],
                "who": who,
                "action": event.action,
                "previous_hash": event.previous_hash,
                "event_hash": event.event_hash,
            }
        )
    return events


def open_private(destination: Path):
    """The packet file, readable and writable by its owner only, from the first byte on."""
    descriptor = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PACKET_FILE_MODE)
    os.fchmod(descriptor, PACKET_FILE_MODE)
    return os.fdopen(descriptor, "wb")


def build_packet(bundle: EvidenceBundle, destination: Path, *, progress=lambda percent, message: None) -> PacketResult:
    """Write the packet for `bundle` to `destination` (mode 0600)."""
    with translation.override("en"):  # the packet is written in English; its reasons too
        return _build_packet(bundle, destination, progress)


def _build_packet(bundle: EvidenceBundle, destination: Path, progress) -> PacketResult:
    rules = profiles.rules_for(bundle.profile)
    names_witnesses = bundle.names_witnesses
    today = timezone.localdate()
    incidents = list(bundle_incidents(bundle).order_by("start_time", "pk"))
    items = list(
        MediaItem.objects.filter(incidents__in=incidents)
        .distinct()
        .select_related("testimony__witness", "witness", "acquired_by")
        .order_by("exhibit_sequence")
    )
    testimonies = list(
        Testimony.objects.filter(incidents__in=incidents)
        .distinct()
        .select_related("witness")
        .prefetch_related("translations", "incidents")
        .order_by("pk")
    )
    roles = dict(CaseMembership.objects.filter(case=bundle.case).values_list("user_id", "role"))
    material: dict[int, dict] = {}

    def carry(witness: Witness, what: str) -> None:
        entry = material.setdefault(
            witness.pk,
            {
                "witness": witness.pk,
                "pseudonym": witness.pseudonym,
                "disclosure": str(
                    profiles.disclosure(witness=witness, rules=rules, names_witnesses=names_witnesses, on=today)
                ),
                "carries": set(),
            },
        )
        entry["carries"].add(what)

    excluded, candidates = [], []
    for item in items:
        reason = profiles.media_exclusion_reason(item=item, rules=rules, names_witnesses=names_witnesses, on=today)
        if reason:
            excluded.append({"kind": "media", "sha256": item.sha256, "reason": reason})
        else:
            candidates.append(item)

    with open_private(destination) as raw, zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_STORED) as archive:
        writer = PacketWriter(archive)
        exhibits = []
        total_bytes = sum(item.size_bytes for item in candidates) or 1
        done_bytes = 0
        for position, item in enumerate(candidates, start=1):
            number = exhibit_number(item)
            facts = {
                "exhibit": number,
                "kind": item.kind,
                "source": item.source,
                "source_url": item.source_url if profiles.shows_source_url(item=item, rules=rules) else "",
                "acquired_at": item.acquired_at.isoformat(),
                "acquired_by": profiles.staff_label(
                    username=item.acquired_by.get_username(), role=roles.get(item.acquired_by_id), rules=rules
                ),
                "capture_time": capture_time_text(item),
                "capture_time_zone_known": item.capture_time_zone_known if item.capture_time else None,
                "original_sha256": item.sha256,
            }
            path = f"exhibits/{number}{exhibit_extension(item)}"
            if rules.include_originals:
                with default_storage.open(item.original.name, "rb") as original:
                    entry = writer.add_stream(path, original, is_original=True, **facts)
                if entry["sha256"] != item.sha256:
                    raise OriginalAltered(f"media item {item.pk}: stored original no longer matches its intake hash")
            else:
                try:
                    copy = metadata_free_copy(item)
                except NotReencodable:
                    excluded.append({"kind": "media", "sha256": item.sha256, "reason": str(profiles.NOT_REENCODABLE)})
                    continue
                entry = writer.add_bytes(f"exhibits/{number}.jpg", copy, is_original=False, **facts)
            exhibits.append((number, item, entry))
            witness = profiles.media_witness(item)
            if witness is not None:
                carry(witness, "recording" if item.testimony_id is not None else "media")
            done_bytes += item.size_bytes
            progress(5 + int(85 * done_bytes / total_bytes), f"{position}/{len(candidates)} files")

        statements = []
        for testimony in testimonies:
            witness = testimony.witness
            disclosure = profiles.disclosure(witness=witness, rules=rules, names_witnesses=names_witnesses, on=today)
            if disclosure == Disclosure.WITHHOLD:
                reason = profiles.withheld_reason(witness=witness, rules=rules, on=today)
                excluded.append({"kind": "testimony", "witness": witness.pseudonym, "reason": str(reason)})
                continue
            carry(witness, "testimony")
            if disclosure == Disclosure.NAME:
                carry(witness, "name")
            statements.append(
                {
                    "witness": witness.pseudonym,
                    "witness_name": witness.real_name if disclosure == Disclosure.NAME else None,
                    "interview_date": testimony.interview_date.isoformat(),
                    "method": testimony.method,
                    "language": testimony.language,
                    "status": testimony.status,
                    "text": testimony.original_text,
                    "translations": {t.language: t.text for t in testimony.translations.all()},
                    "incidents": [incident.reference for incident in testimony.incidents.all()],
                }
            )
        progress(91, "captures")
        captures, captures_excluded = capture_exhibits.packet_captures(
            incidents=incidents, rules=rules, names_witnesses=names_witnesses, on=today
        )
        excluded.extend(captures_excluded)
        capture_entries = capture_exhibits.add_captures(
            writer, captures, rules=rules, exhibit_numbers={item.pk: number for number, item, _entry in exhibits}
        )
        shown_excluded = _excluded_entries(excluded, rules)
        testimony_count = len(statements)
        writer.add_bytes("testimonies.json", json.dumps(statements, ensure_ascii=False, indent=2).encode())
        progress(92, "report.pdf")
        # Beside the uploads, on the evidence's own storage, not the system's temporary folder (which may not be
        # encrypted as the media folder is); an unnamed file, gone when closed.
        with tempfile.TemporaryFile(prefix="report-", dir=incoming_dir()) as report_pdf:
            render_report(
                bundle=bundle,
                rules=rules,
                incidents=incidents,
                exhibits=exhibits,
                statements=statements,
                excluded=shown_excluded,
                output=report_pdf,
            )
            report_pdf.seek(0)
            writer.add_stream("report.pdf", report_pdf)
        custody = {item.sha256: _custody_excerpt(item, rules, roles) for _number, item, _entry in exhibits}
        custody.update({f"capture-{capture.pk}": _custody_excerpt(capture, rules, roles) for capture in captures})
        writer.add_bytes("custody.json", json.dumps(custody, ensure_ascii=False, indent=2).encode())
        if rules.writes_loadfile:
            writer.add_bytes("loadfile.dat", concordance_dat(writer.files, rules).encode("utf-8"))
        writer.add_bytes("public_key.pem", signing.public_key_pem())
        writer.add_bytes("verify_bundle.py", VERIFIER.read_bytes())

        manifest = {
            "bundle_id": bundle.pk,
            "case": bundle.case.reference,
            "recipient": bundle.recipient,
            "profile": bundle.profile,
            "scope": bundle.scope,
            "incidents": [i.reference for i in incidents],
            "created_at": timezone.now().isoformat(),
            "software": SOFTWARE,
            "custody_head_hash": custody_head_hash(),
            "custody_excerpts": "full" if rules.custody_in_full else "hashes and links",
            "originals_included": rules.include_originals,
            "files": writer.files,
            "captures": capture_entries,
            "excluded": shown_excluded,
        }
        manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
        info = zipfile.ZipInfo("manifest.json", date_time=timezone.now().timetuple()[:6])
        archive.writestr(info, manifest_bytes)
        archive.writestr(zipfile.ZipInfo("manifest.json.sig", date_time=info.date_time), signing.sign(manifest_bytes))
    witness_material = [{**entry, "carries": sorted(entry["carries"])} for _pk, entry in sorted(material.items())]
    return PacketResult(
        manifest_sha256=hashlib.sha256(manifest_bytes).hexdigest(),
        exported_item_ids=[item.pk for _number, item, _entry in exhibits],
        witness_material=witness_material,
        testimony_count=testimony_count,
    )


def dat_value(value) -> str:
    """A value that cannot break a DAT row: no delimiter, quote, line break or other control or format
    character (a right-to-left override, say) survives; each becomes "_"."""
    return "".join(
        "_"
        if character in (DAT_DELIMITER, DAT_QUOTE) or unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp")
        else character
        for character in str(value)
    )


def concordance_dat(files: list[dict], rules: profiles.ProfileRules) -> str:
    """One row per exhibit in the Concordance DAT convention, for e-discovery platforms."""
    header = [
        "BEGBATES",
        "ENDBATES",
        "FILENAME",
        "NATIVEPATH",
        "FILESIZE",
        "SHA256",
        "DATECREATED",
        "DATEACQUIRED",
        "CUSTODIAN",
        "CONFIDENTIALITY",
    ]
    rows = [header]
    for entry in files:
        if "exhibit" not in entry:
            continue
        rows.append(
            [
                entry["exhibit"],
                entry["exhibit"],
                Path(entry["path"]).name,
                entry["path"],
                str(entry["size"]),
                entry["sha256"],
                entry.get("capture_time") or "",
                entry["acquired_at"],
                entry["acquired_by"],
                rules.confidentiality,
            ]
        )
    return (
        "\r\n".join(DAT_DELIMITER.join(f"{DAT_QUOTE}{dat_value(value)}{DAT_QUOTE}" for value in row) for row in rows)
        + "\r\n"
    )
