"""Writing an evidence packet: one stored (never deflated) ZIP64, streamed in 1 MiB chunks, every file hashed
in the same pass, with a signed manifest. Memory stays flat whatever the size of the videos."""

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image, ImageOps

from casework.bundles import profiles, signing
from casework.bundles.models import BundleScope, EvidenceBundle
from casework.bundles.report import render_report
from casework.evidence.custody import custody_head_hash
from casework.evidence.models import MediaItem
from casework.evidence.selectors import custody_history
from casework.incidents.models import Incident
from casework.witnesses.consent import Disclosure
from casework.witnesses.models import Testimony

CHUNK = 1024 * 1024
SOFTWARE = "Casework 0.1.0"
VERIFIER = Path(__file__).with_name("verify_bundle.py")
DAT_DELIMITER, DAT_QUOTE = "\x14", "\xfe"  # Concordance DAT: ¶ (ASCII 20) between fields, þ around them


class OriginalAltered(Exception):
    """A stored original no longer matches the hash recorded at intake: never export it."""


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


def bundle_incidents(bundle: EvidenceBundle):
    if bundle.scope == BundleScope.CASE:
        return Incident.objects.filter(case=bundle.case)
    return bundle.incidents.all()


def exhibit_number(bundle: EvidenceBundle, index: int) -> str:
    return f"{bundle.case.reference}-{index:06d}"


def metadata_free_copy(item: MediaItem) -> bytes:
    """A photo re-encoded without EXIF (no GPS, no device), upright; the original never leaves."""
    with default_storage.open(item.original.name, "rb") as original, Image.open(original) as image:
        upright = ImageOps.exif_transpose(image).convert("RGB")
        buffer = io.BytesIO()
        upright.save(buffer, "JPEG", quality=92)
        return buffer.getvalue()


def build_packet(bundle: EvidenceBundle, destination: Path, *, progress=lambda percent, message: None) -> str:
    """Write the packet for `bundle` to `destination`; returns the SHA-256 of its manifest."""
    rules = profiles.PROFILE_RULES[bundle.profile]
    incidents = list(bundle_incidents(bundle).order_by("start_time", "pk"))
    items = list(
        MediaItem.objects.filter(incidents__in=incidents)
        .distinct()
        .select_related("testimony__witness", "acquired_by")
        .order_by("pk")
    )
    testimonies = list(
        Testimony.objects.filter(incidents__in=incidents).distinct().select_related("witness").order_by("pk")
    )
    excluded, included = [], []
    for item in items:
        reason = profiles.media_exclusion_reason(item=item, profile=bundle.profile)
        if reason:
            excluded.append({"kind": "media", "sha256": item.sha256, "reason": reason})
        else:
            included.append(item)

    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        writer = PacketWriter(archive)
        exhibits = []
        total_bytes = sum(item.size_bytes for item in included) or 1
        done_bytes = 0
        for index, item in enumerate(included, start=1):
            number = exhibit_number(bundle, index)
            facts = {
                "exhibit": number,
                "kind": item.kind,
                "source": item.source,
                "source_url": item.source_url,
                "acquired_at": item.acquired_at.isoformat(),
                "acquired_by": item.acquired_by.get_username(),
                "capture_time": item.capture_time.isoformat() if item.capture_time else None,
                "original_sha256": item.sha256,
            }
            if rules.include_originals:
                extension = Path(item.original_filename).suffix.lower()[:8] or ".bin"
                with default_storage.open(item.original.name, "rb") as original:
                    entry = writer.add_stream(f"exhibits/{number}{extension}", original, is_original=True, **facts)
                if entry["sha256"] != item.sha256:
                    raise OriginalAltered(f"media item {item.pk}: stored original no longer matches its intake hash")
            else:
                entry = writer.add_bytes(f"exhibits/{number}.jpg", metadata_free_copy(item), is_original=False, **facts)
            exhibits.append((number, item, entry))
            done_bytes += item.size_bytes
            progress(5 + int(85 * done_bytes / total_bytes), f"{index}/{len(included)} files")

        statements = []
        for testimony in testimonies:
            disclosure = profiles.testimony_disclosure(testimony=testimony, profile=bundle.profile)
            if disclosure == Disclosure.WITHHOLD:
                excluded.append(
                    {
                        "kind": "testimony",
                        "witness": testimony.witness.pseudonym,
                        "reason": "the witness has not consented to this use",
                    }
                )
                continue
            statements.append(
                {
                    "witness": testimony.witness.pseudonym,
                    "witness_name": testimony.witness.real_name if disclosure == Disclosure.NAME else None,
                    "interview_date": testimony.interview_date.isoformat(),
                    "method": testimony.method,
                    "language": testimony.language,
                    "status": testimony.status,
                    "text": testimony.original_text,
                    "translations": {t.language: t.text for t in testimony.translations.all()},
                    "incidents": [incident.reference for incident in testimony.incidents.all()],
                }
            )
        writer.add_bytes("testimonies.json", json.dumps(statements, ensure_ascii=False, indent=2).encode())
        progress(92, "report.pdf")
        writer.add_bytes(
            "report.pdf",
            render_report(
                bundle=bundle,
                incidents=incidents,
                exhibits=exhibits,
                statements=statements,
                excluded=excluded,
                show_locations=rules.include_originals,
            ),
        )
        custody = {
            item.sha256: [
                {
                    "sequence": e.sequence,
                    "when": e.occurred_at.isoformat(),
                    "who": e.actor_label,
                    "what": e.action,
                    "event_hash": e.event_hash,
                    "previous_hash": e.previous_hash,
                }
                for e in custody_history(target=item)
            ]
            for item in included
        }
        writer.add_bytes("custody.json", json.dumps(custody, indent=2).encode())
        if bundle.profile == "court":
            writer.add_bytes("loadfile.dat", concordance_dat(writer.files, bundle).encode("utf-8"))
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
            "originals_included": rules.include_originals,
            "files": writer.files,
            "excluded": excluded,
        }
        manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
        info = zipfile.ZipInfo("manifest.json", date_time=timezone.now().timetuple()[:6])
        archive.writestr(info, manifest_bytes)
        archive.writestr(zipfile.ZipInfo("manifest.json.sig", date_time=info.date_time), signing.sign(manifest_bytes))
    return hashlib.sha256(manifest_bytes).hexdigest()


def concordance_dat(files: list[dict], bundle: EvidenceBundle) -> str:
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
                "CONFIDENTIAL" if bundle.profile != "public" else "PUBLIC",
            ]
        )
    return "\r\n".join(DAT_DELIMITER.join(f"{DAT_QUOTE}{value}{DAT_QUOTE}" for value in row) for row in rows) + "\r\n"
