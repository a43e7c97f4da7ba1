"""Capturing online sources: request, fetch (by a worker, through the checked fetch only), store every artefact
under custody, and re-check the source later."""

import hashlib
import logging
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.captures import tools
from casework.captures.fetching import (
    CheckedResponse,
    FetchFailure,
    FetchPolicy,
    FetchRefused,
    Hop,
    check_url,
    describe,
    open_following,
)
from casework.captures.models import (
    ArtefactKind,
    Capture,
    CaptureArtefact,
    CaptureCheck,
    CaptureState,
    FailureReason,
    SourceStatus,
    artefact_path,
)
from casework.captures.selectors import capture_lease
from casework.cases import access
from casework.cases.models import Case
from casework.errors import Refused
from casework.evidence.custody import custody_record
from casework.evidence.models import CustodyAction, MediaSource
from casework.evidence.uploads import IntakeRejected, place_original, receive_path
from casework.incidents.models import Incident
from casework.queueing import enqueue_after_commit

logger = logging.getLogger(__name__)

MAX_URLS_PER_REQUEST = 50
MAX_CAPTURE_ATTEMPTS = 3
# Types fetched as the file itself (no browser, no yt-dlp): what the evidence intake accepts.
DIRECT_MEDIA_PREFIXES = ("image/", "video/", "audio/", "application/pdf")
# A re-check reads at most this much of a page; media are compared by their headers, never downloaded again.
CHECK_MAX_BYTES = 5 * 1024 * 1024


def _policy(*, seconds: float | None = None, max_bytes: int | None = None) -> FetchPolicy:
    return FetchPolicy.starting_now(
        max_bytes=max_bytes or settings.CASEWORK_MAX_UPLOAD_BYTES,
        seconds=seconds or settings.CASEWORK_CAPTURE_SECONDS,
        allow_loopback=settings.CASEWORK_CAPTURE_ALLOW_LOOPBACK,
    )


def capture_parse_urls(text: str | Iterable[str]) -> list[str]:
    """The distinct addresses of pasted text (one or many, on lines or separated by spaces), in order.
    Refused, naming each bad one, when one is not an http(s) address, or when there are none or too many."""
    words = re.split(r"\s+", text) if isinstance(text, str) else [str(word) for word in text]
    urls: list[str] = []
    bad: list[str] = []
    for word in (word.strip() for word in words):
        if not word:
            continue
        try:
            check_url(word)
        except FetchRefused:
            bad.append(word[:200])
            continue
        if len(word) > 2000:
            bad.append(word[:200])
        elif word not in urls:
            urls.append(word)
    if bad:
        raise Refused(
            errors={"urls": [_("Not an http or https address: %(url)s") % {"url": url} for url in bad]},
        )
    if not urls:
        raise Refused(_("Paste at least one address."), field="urls")
    if len(urls) > MAX_URLS_PER_REQUEST:
        raise Refused(
            _("At most %(count)s addresses at a time.") % {"count": MAX_URLS_PER_REQUEST},
            field="urls",
        )
    return urls


def capture_request(
    *, case: Case, urls: str | Iterable[str], actor, incidents: Iterable[Incident] = (), note: str = ""
) -> list[Capture]:
    """Queue one capture per distinct address; a worker fetches each. Needs the upload permission on the case.
    Refused (nothing stored) for a bad address or an incident of another case."""
    if not actor.has_perm(access.UPLOAD_MEDIA, case):
        raise PermissionDenied
    parsed = capture_parse_urls(urls)
    incidents = list(incidents)
    foreign = sorted(incident.reference for incident in incidents if incident.case_id != case.pk)
    if foreign:
        raise Refused(
            errors={"incidents": [_("Incident %(ref)s belongs to another case.") % {"ref": ref} for ref in foreign]}
        )
    note = str(note or "").strip()
    captures = []
    with transaction.atomic():
        for url in parsed:
            capture = Capture.objects.create(case=case, url=url, requested_by=actor, note=note)
            if incidents:
                capture.incidents.set(incidents)
            captures.append(capture)
            capture_schedule(capture_id=capture.pk)
        _search_index([capture.pk for capture in captures])
    return captures


def _search_index(capture_ids: list[int]) -> None:
    # Imported here: the search index reads capture rows, so casework.search imports this app's models.
    from casework.search.models import RecordKind
    from casework.search.services import search_index

    search_index(kind=RecordKind.CAPTURE, ids=capture_ids)


def capture_schedule(*, capture_id: int) -> None:
    from casework.captures.tasks import capture_run_task

    enqueue_after_commit(capture_run_task, capture_id)


def capture_retry(*, capture: Capture, actor) -> Capture:
    """Queue a failed capture again (same address, incidents and note)."""
    if not actor.has_perm(access.UPLOAD_MEDIA, capture.case):
        raise PermissionDenied
    with transaction.atomic():
        updated = Capture.objects.filter(pk=capture.pk, state=CaptureState.FAILED).update(
            state=CaptureState.QUEUED, failure_reason="", failure_detail="", attempts=0, progress_message=""
        )
        if updated:
            capture_schedule(capture_id=capture.pk)
    capture.refresh_from_db()
    return capture


def capture_claim(*, capture_id: int) -> Capture | None:
    """Claim a queued capture (or one whose worker died) with a conditional UPDATE; None if it is gone, done,
    or held by a live claim. Past MAX_CAPTURE_ATTEMPTS the capture fails instead."""
    now = timezone.now()
    claimable = Q(state=CaptureState.QUEUED) | Q(state=CaptureState.RUNNING, started_at__lt=now - capture_lease())
    claimed = Capture.objects.filter(claimable, pk=capture_id).update(
        state=CaptureState.RUNNING, started_at=now, attempts=F("attempts") + 1, progress_message=""
    )
    if not claimed:
        return None
    capture = Capture.objects.select_related("case", "requested_by").get(pk=capture_id)
    if capture.attempts > MAX_CAPTURE_ATTEMPTS:
        _fail(capture, FailureReason.GAVE_UP, "")
        return None
    return capture


def _progress(capture: Capture, message: str) -> None:
    Capture.objects.filter(pk=capture.pk, state=CaptureState.RUNNING).update(progress_message=message[:300])


def _fail(capture: Capture, reason: str, detail: str) -> None:
    Capture.objects.filter(pk=capture.pk).update(
        state=CaptureState.FAILED, failure_reason=reason, failure_detail=detail[:2000], progress_message=""
    )


@dataclass
class Fetched:
    """What a capture fetched, before anything is stored."""

    url: str
    final_url: str
    status: int
    headers: list[tuple[str, str]]
    address: str
    captured_at: datetime
    warc: Path
    fingerprint: str
    title: str = ""
    text: str = ""
    screenshot: Path | None = None
    media: Path | None = None
    media_info: dict = field(default_factory=dict)
    media_problem: str = ""
    versions: dict = field(default_factory=dict)
    # What the page asked for that was not fetched: a private or local address, a fetch over its limits.
    refused_requests: list[list[str]] = field(default_factory=list)  # [url, reason]


def _is_direct_media(response: CheckedResponse) -> bool:
    content_type = response.header("Content-Type").split(";")[0].strip().lower()
    return content_type.startswith(DIRECT_MEDIA_PREFIXES)


def media_fingerprint(response: CheckedResponse) -> str:
    """What a re-check compares for a file: its declared length, entity tag and modification date."""
    parts = [response.header(name) for name in ("Content-Length", "ETag", "Last-Modified", "Content-Type")]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def page_fingerprint(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def capture_fetch(*, url: str, folder: Path, progress=lambda message: None) -> Fetched:
    """Fetch `url` into `folder`: the exchanges as a WARC; for a page, Chromium's screenshot and text and
    yt-dlp's media and info; for a file, the file. Raises FetchRefused with the reason the capture failed."""
    policy = _policy()
    refusals = tools.Refusals()
    archive = tools.WarcArchive(folder / "capture.warc.gz")
    versions = {"yt-dlp": tools.ytdlp_version()}
    try:

        def archive_hop(response: CheckedResponse) -> None:
            archive.add_bytes(hop=response.hop, body=response.read())

        progress(_("Fetching the address"))
        response, hops = open_following(url, policy=policy, on_hop=archive_hop)
        final: Hop = hops[-1]
        if response.status in (404, 410):
            response.close()
            raise FetchRefused(FetchFailure.NOT_FOUND, f"HTTP {response.status}")
        if response.status >= 400:
            response.close()
            raise FetchRefused(FetchFailure.HTTP_ERROR, f"HTTP {response.status}")
        fetched = Fetched(
            url=url,
            final_url=final.url,
            status=final.status,
            headers=final.headers,
            address=final.address,
            captured_at=timezone.now(),
            warc=archive.path,
            fingerprint="",
            versions=versions,
        )
        if _is_direct_media(response):
            progress(_("Downloading the file"))
            fetched.media = folder / "direct-media"
            size = tools.read_to_file(response, fetched.media)
            fetched.fingerprint = media_fingerprint(response)
            with open(fetched.media, "rb") as body:
                archive.add_exchange(hop=final, method="GET", request_body=b"", body=body, body_length=size)
            return fetched
        body = response.read()
        fetched.fingerprint = page_fingerprint(body)
        progress(_("Opening the page in the browser"))
        page = tools.chromium_capture(url, folder=folder, policy=policy, archive=archive, refusals=refusals)
        fetched.title, fetched.text, fetched.screenshot = page.title, page.text, page.screenshot
        fetched.refused_requests = page.refused_requests
        versions["chromium"] = page.chromium_version
        progress(_("Downloading the media of the page"))
        media_refusals = tools.Refusals()
        media_folder = folder / "media"
        media_folder.mkdir()
        try:
            download = tools.ytdlp_download(url, folder=media_folder, policy=policy, refusals=media_refusals)
        except FetchRefused as refused:
            media_refusals.add(refused)
            download = None
        if download is not None:
            fetched.media, fetched.media_info = download.path, download.info
        elif media_refusals:
            fetched.media_problem = media_refusals[0].reason
        return fetched
    finally:
        archive.close()


def _store_artefact(capture: Capture, kind: str, path: Path) -> CaptureArtefact:
    received = receive_path(path)
    try:
        artefact = CaptureArtefact(capture=capture, kind=kind, sha256=received.sha256, size_bytes=received.size_bytes)
        name = artefact_path(artefact, "")
        place_original(received, name)
        artefact.file.name = name
        artefact.save()
    finally:
        received.discard()
    return artefact


def capture_manifest(*, capture: Capture, fetched: Fetched, artefacts: dict[str, CaptureArtefact], media) -> dict:
    """The capture's description that its hash (and the trusted timestamp, when there is one) stands for."""
    return {
        "capture": capture.pk,
        "case": capture.case.reference,
        "url": capture.url,
        "final_url": fetched.final_url,
        "http_status": fetched.status,
        "http_headers": [[name, value] for name, value in fetched.headers],
        "resolved_ip": fetched.address,
        "captured_at": fetched.captured_at.isoformat(),
        "requested_by": capture.requested_by.get_username(),
        "tools": fetched.versions,
        "requests_refused": fetched.refused_requests,
        "artefacts": {
            kind: {"sha256": artefact.sha256, "size_bytes": artefact.size_bytes}
            for kind, artefact in sorted(artefacts.items())
        },
        "media": (
            {"exhibit_number": media.exhibit_number, "sha256": media.sha256, "size_bytes": media.size_bytes}
            if media is not None
            else None
        ),
    }


def capture_run(*, capture_id: int) -> None:
    """Fetch and store one capture. Safe to run twice: the claim lets one worker at a time do it, and a done
    or failed capture is left alone."""
    capture = capture_claim(capture_id=capture_id)
    if capture is None:
        return
    folder = Path(tempfile.mkdtemp(prefix="capture-", dir=_work_dir()))
    try:
        try:
            fetched = capture_fetch(url=capture.url, folder=folder, progress=lambda text: _progress(capture, text))
        except FetchRefused as refused:
            _fail(capture, refused.reason, refused.detail)
            return
        except SoftTimeLimitExceeded:
            _fail(capture, FailureReason.TIMED_OUT, "the task's time limit")
            return
        except Exception as error:  # a browser or extractor crash: say so, rather than retry it for ever
            logger.exception("Capture %s failed", capture.pk)
            _fail(capture, FailureReason.FAILED, type(error).__name__)
            return
        _progress(capture, _("Storing the artefacts"))
        capture = capture_store(capture=capture, fetched=fetched, folder=folder)
        if settings.CASEWORK_TSA_URL and capture.state == CaptureState.DONE:
            capture_timestamp(capture=capture, folder=folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _work_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "incoming" / "captures"
    path.mkdir(parents=True, exist_ok=True)
    return path


def capture_store(*, capture: Capture, fetched: Fetched, folder: Path) -> Capture:
    """Store what was fetched: the media through the evidence intake (an item with the same bytes already in
    the case is linked, not stored twice; metadata extraction and the near-duplicate check follow), every
    other artefact by hash, the manifest, and one custody event naming the address and the person."""
    from casework.evidence.services import media_ingest_path

    incidents = list(capture.incidents.all())
    media = None
    media_was_new = False
    media_problem = fetched.media_problem
    if fetched.media is not None:
        try:
            result = media_ingest_path(
                path=fetched.media,
                case=capture.case,
                source=MediaSource.SOCIAL_MEDIA,
                source_url=capture.url[:2000],
                acquired_by=capture.requested_by,
                incidents=incidents,
                description=capture.note,
            )
        except IntakeRejected as rejected:
            media_problem = str(rejected)
        else:
            media, media_was_new = result.item, result.created
    files: dict[str, Path] = {ArtefactKind.WARC: fetched.warc}
    if fetched.screenshot is not None:
        files[ArtefactKind.SCREENSHOT] = fetched.screenshot
    if fetched.text:
        files[ArtefactKind.TEXT] = folder / "text.txt"
        files[ArtefactKind.TEXT].write_text(fetched.text, encoding="utf-8")
    media_info = dict(fetched.media_info)
    if media_problem:
        media_info["problem"] = describe(media_problem)
    if media_info:
        files[ArtefactKind.INFO] = folder / "info.json"
        files[ArtefactKind.INFO].write_bytes(tools.json_bytes(media_info))

    with transaction.atomic():
        capture = Capture.objects.select_for_update().select_related("case", "requested_by").get(pk=capture.pk)
        if capture.state != CaptureState.RUNNING:
            return capture
        artefacts = {kind: _store_artefact(capture, kind, path) for kind, path in files.items()}
        manifest = capture_manifest(capture=capture, fetched=fetched, artefacts=artefacts, media=media)
        manifest_path = folder / "manifest.json"
        manifest_path.write_bytes(tools.json_bytes(manifest))
        artefacts[ArtefactKind.MANIFEST] = _store_artefact(capture, ArtefactKind.MANIFEST, manifest_path)
        capture.state = CaptureState.DONE
        capture.progress_message = ""
        capture.captured_at = fetched.captured_at
        capture.final_url = fetched.final_url[:2000]
        capture.http_status = fetched.status
        capture.http_headers = [[name, value] for name, value in fetched.headers]
        capture.resolved_ip = fetched.address
        capture.title = fetched.title[:500] or str(media_info.get("title", ""))[:500]
        capture.tool_versions = fetched.versions
        capture.media_info = media_info
        capture.media_item = media
        capture.media_was_new = media_was_new
        capture.manifest_sha256 = artefacts[ArtefactKind.MANIFEST].sha256
        capture.content_fingerprint = fetched.fingerprint
        capture.save()
        _search_index([capture.pk])
        custody_record(
            action=CustodyAction.RECEIVED,
            target=capture,
            actor=capture.requested_by,
            details={
                "captured_from": capture.url,
                "on_behalf_of": capture.requested_by.get_username(),
                "final_url": capture.final_url,
                "resolved_ip": fetched.address,
                "http_status": fetched.status,
                "captured_at": fetched.captured_at.isoformat(),
                "tools": fetched.versions,
                "artefacts": {kind: artefact.sha256 for kind, artefact in sorted(artefacts.items())},
                "manifest_sha256": capture.manifest_sha256,
                "media_item": media.exhibit_number if media is not None else None,
                "media_stored": media_was_new,
            },
        )
    return capture


_REASONS = set(FailureReason.values)


def capture_timestamp(*, capture: Capture, folder: Path) -> Capture:
    """Have CASEWORK_TSA_URL timestamp the capture's manifest hash and the custody head (the capture's own
    custody event, which links every earlier one); the token is checked against CASEWORK_TSA_CA_FILE when set,
    then stored as the TIMESTAMP artefact. A failure is recorded on the capture, which stays captured."""
    from casework.captures import timestamps
    from casework.evidence.selectors import custody_history

    head = custody_history(target=capture).order_by("-sequence").values_list("event_hash", flat=True).first()
    statement = timestamps.timestamp_statement(manifest_sha256=capture.manifest_sha256, custody_head=head or "")
    try:
        token, when = timestamps.timestamp_obtain(data=statement, url=settings.CASEWORK_TSA_URL)
        if settings.CASEWORK_TSA_CA_FILE:
            roots = timestamps.load_certificates(Path(settings.CASEWORK_TSA_CA_FILE).read_bytes())
            timestamps.timestamp_verify(token=token, data=statement, roots=roots)
    except timestamps.TimestampFailed as failure:
        Capture.objects.filter(pk=capture.pk).update(timestamp_error=str(failure)[:2000])
        return capture
    token_path = folder / "timestamp.tsr"
    token_path.write_bytes(token)
    with transaction.atomic():
        if not capture.artefacts.filter(kind=ArtefactKind.TIMESTAMP).exists():
            _store_artefact(capture, ArtefactKind.TIMESTAMP, token_path)
        Capture.objects.filter(pk=capture.pk).update(
            timestamp_statement=statement.decode(),
            timestamped_at=when,
            timestamp_authority=settings.CASEWORK_TSA_URL[:500],
            timestamp_error="",
        )
    capture.refresh_from_db()
    return capture


def capture_record_download(*, capture: Capture, artefact: CaptureArtefact, actor) -> None:
    with transaction.atomic():
        custody_record(
            action=CustodyAction.DOWNLOADED,
            target=capture,
            actor=actor,
            details={"artefact": artefact.kind, "sha256": artefact.sha256},
        )


# Watching (captures_due_for_check in selectors says which are due)


def capture_recheck(*, capture_id: int) -> CaptureCheck | None:
    """Ask the source again, within small bounds (a page read up to CHECK_MAX_BYTES, a file by its headers
    only), and record still online / changed / gone with the time. Nothing is downloaded again."""
    capture = Capture.objects.filter(pk=capture_id, state=CaptureState.DONE).first()
    if capture is None:
        return None
    policy = _policy(seconds=settings.CASEWORK_CAPTURE_CHECK_SECONDS, max_bytes=CHECK_MAX_BYTES)
    status = None
    detail = ""
    fingerprint = ""
    try:
        response, _hops = open_following(capture.url, policy=policy)
        status = response.status
        try:
            if status >= 400:
                outcome = SourceStatus.GONE
                detail = f"HTTP {status}"
            elif _is_direct_media(response):
                fingerprint = media_fingerprint(response)
            else:
                fingerprint = page_fingerprint(response.read())
        finally:
            response.close()
    except FetchRefused as refused:
        outcome = SourceStatus.GONE
        detail = str(FailureReason(refused.reason).label) if refused.reason in _REASONS else refused.reason
    if fingerprint:
        changed = capture.content_fingerprint and fingerprint != capture.content_fingerprint
        outcome = SourceStatus.CHANGED if changed else SourceStatus.ONLINE
    now = timezone.now()
    with transaction.atomic():
        check = CaptureCheck.objects.create(
            capture=capture, checked_at=now, outcome=outcome, http_status=status, detail=detail[:300]
        )
        gone_since = (capture.gone_since or now) if outcome == SourceStatus.GONE else None
        Capture.objects.filter(pk=capture.pk).update(source_status=outcome, last_checked_at=now, gone_since=gone_since)
    return check
