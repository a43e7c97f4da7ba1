"""The captures of online sources linked to a packet's incidents, as exhibits: each artefact a profile allows,
its address and capture time, and its trusted timestamp (token, the exact statement timestamped, and the
authority's root certificate once per packet) for verify_bundle.py to check offline."""

from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage

from casework.bundles import profiles
from casework.captures.models import ArtefactKind, Capture, CaptureState

EXTENSIONS = {
    ArtefactKind.WARC: ".warc.gz",
    ArtefactKind.SCREENSHOT: ".png",
    ArtefactKind.TEXT: ".txt",
    ArtefactKind.INFO: "-info.json",
    ArtefactKind.MANIFEST: "-manifest.json",
    ArtefactKind.TIMESTAMP: ".tsr",
}
TSA_CERTIFICATE = "tsa_ca.pem"


class CaptureArtefactAltered(Exception):
    """A stored capture artefact no longer matches the hash recorded when it was stored: never export it."""


def packet_captures(*, incidents, rules, names_witnesses: bool, on) -> tuple[list[Capture], list[dict]]:
    """(captures that go in, left-out entries) among the finished captures linked to `incidents`."""
    captures = list(
        Capture.objects.filter(incidents__in=incidents, state=CaptureState.DONE)
        .distinct()
        .select_related("case", "media_item__witness", "media_item__testimony__witness")
        .prefetch_related("artefacts")
        .order_by("pk")
    )
    chosen, excluded = [], []
    for capture in captures:
        reason = profiles.capture_exclusion_reason(capture=capture, rules=rules, names_witnesses=names_witnesses, on=on)
        if reason:
            excluded.append({"kind": "capture", "capture": capture.pk, "reason": reason})
        else:
            chosen.append(capture)
    return chosen, excluded


def add_captures(writer, captures: list[Capture], *, rules, exhibit_numbers: dict[int, str]) -> list[dict]:
    """Write each capture's allowed artefacts; the packet manifest's "captures" entries."""
    kinds = profiles.capture_artefact_kinds(rules)
    entries = []
    for capture in captures:
        folder = f"captures/{capture.case.reference}-capture-{capture.pk}"
        item = capture.media_item
        shows_url = item is None or profiles.shows_source_url(item=item, rules=rules)
        facts = {
            "capture": capture.pk,
            "url": capture.url if shows_url else "",
            "captured_at": capture.captured_at.isoformat() if capture.captured_at else None,
        }
        files = {}
        for artefact in sorted(capture.artefacts.all(), key=lambda artefact: artefact.kind):
            if artefact.kind not in kinds:
                continue
            path = f"{folder}/{artefact.kind}{EXTENSIONS[artefact.kind]}"
            with default_storage.open(artefact.file.name, "rb") as stored:
                written = writer.add_stream(path, stored, artefact=artefact.kind, **facts)
            if written["sha256"] != artefact.sha256:
                raise CaptureArtefactAltered(f"capture {capture.pk}: {artefact.kind} no longer matches its hash")
            files[artefact.kind] = path
        entry = {
            **facts,
            "final_url": capture.final_url if shows_url and rules.include_originals else "",
            "media_exhibit": exhibit_numbers.get(capture.media_item_id) if capture.media_item_id else None,
            "files": files,
            "timestamp": None,
        }
        if ArtefactKind.TIMESTAMP in files and capture.timestamp_statement:
            statement = writer.add_bytes(
                f"{folder}/timestamp-statement.json", capture.timestamp_statement.encode(), **facts
            )
            entry["timestamp"] = {
                "token": files[ArtefactKind.TIMESTAMP],
                "statement": statement["path"],
                "time": capture.timestamped_at.isoformat() if capture.timestamped_at else None,
                "manifest": files.get(ArtefactKind.MANIFEST),
            }
        entries.append(entry)
    if any(entry["timestamp"] for entry in entries) and settings.CASEWORK_TSA_CA_FILE:
        writer.add_bytes(TSA_CERTIFICATE, Path(settings.CASEWORK_TSA_CA_FILE).read_bytes())
    return entries
