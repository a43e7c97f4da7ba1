"""Evidence packets: request, build under a lease, mark ready atomically, record every download, expire."""

import os
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.audit.models import AuditAction
from casework.audit.services import audit_record
from casework.bundles import profiles
from casework.bundles.builder import build_packet, witnesses_in_scope
from casework.bundles.models import BundleScope, BundleStatus, EvidenceBundle
from casework.cases import access
from casework.errors import Refused
from casework.evidence.custody import custody_record
from casework.evidence.models import CustodyAction, MediaItem
from casework.notifications.services import notify_packet_ready
from casework.queueing import enqueue_after_commit
from casework.web import formatting
from casework.witnesses.consent import Disclosure
from casework.witnesses.models import Witness

DIRECTORY_MODE = 0o700
# Absolute file paths (and file: URLs) in an exception's text: a failure reason shown to people names none.
SERVER_PATH = re.compile(r"(?:file://)?(?<![\w.])(?:/[^\s/'\"():,;]+)+/?")


class LeaseHeld(Exception):
    """Another worker holds the build; try again once `retry_in` seconds have passed."""

    def __init__(self, retry_in: float):
        super().__init__(f"lease held for another {retry_in:.0f} s")
        self.retry_in = retry_in


class PacketUnavailable(Refused):
    """A packet that exists but may not be downloaded (any more); the message says why and what to do."""

    def __init__(self, message: str, *, status_code: int):
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True)
class ConsentLapse:
    """A witness whose consent no longer covers what a built packet carries of them."""

    witness_id: int
    pseudonym: str
    day: date

    @property
    def message(self) -> str:
        return _("Consent withdrawn on %(date)s for witness %(pseudonym)s; rebuild the packet.") % {
            "date": formatting.format_date(self.day),
            "pseudonym": self.pseudonym,
        }


def lease_length() -> timedelta:
    return timedelta(seconds=settings.CASEWORK_BUNDLE_LEASE_SECONDS)


def retention_period() -> timedelta:
    return timedelta(days=settings.CASEWORK_PACKET_RETENTION_DAYS)


def may_name_witnesses(*, actor, case) -> bool:
    """Only someone on the case's team who may reveal identities gets packets that name witnesses: the
    naming is their accountable decision (a superuser outside the team gets pseudonyms)."""
    return actor.has_perm(access.REVEAL_IDENTITY, case) and access.role_on(actor, case) is not None


def bundle_request(*, case, scope, incidents, recipient: str, profile: str, purpose: str, actor) -> EvidenceBundle:
    """Record a packet request and hand its build to a worker.

    The packet names witnesses (those whose consent for the profile's scope allows it, confirmed by a case
    admin) only when the profile allows names and `actor` may reveal identities on the case; such a request
    needs a purpose, which every named witness's audited reveal records. Anyone else's packet uses pseudonyms.
    """
    incidents = list(incidents)
    purpose = purpose.strip()
    if scope == BundleScope.INCIDENTS and not incidents:
        raise Refused(_("Choose at least one incident, or the whole case."), field="incidents")
    if any(incident.case_id != case.pk for incident in incidents):
        raise Refused(_("Every incident must belong to this case."), field="incidents")
    rules = profiles.rules_for(profile)
    with transaction.atomic():
        bundle = EvidenceBundle.objects.create(
            case=case, scope=scope, recipient=recipient.strip(), profile=profile, purpose=purpose, requested_by=actor
        )
        bundle.incidents.set(incidents if scope == BundleScope.INCIDENTS else [])
        if rules.names_allowed and may_name_witnesses(actor=actor, case=case):
            would_name = any(
                profiles.disclosure(witness=witness, rules=rules, names_witnesses=True) == Disclosure.NAME
                for witness in witnesses_in_scope(bundle)
            )
            if would_name:
                if not purpose:
                    raise Refused(
                        _(
                            "This packet would name witnesses whose consent allows it. Say why they must be named "
                            "(the purpose); each name in it is recorded as an identity reveal."
                        ),
                        field="purpose",
                    )
                bundle.names_witnesses = True
                bundle.save(update_fields=["names_witnesses"])
        bundle_schedule_build(bundle_id=bundle.pk)
    return bundle


def bundle_schedule_build(*, bundle_id: int) -> None:
    from casework.bundles.tasks import bundle_build_task

    enqueue_after_commit(bundle_build_task, bundle_id)


def bundle_claim(*, bundle_id: int) -> tuple[EvidenceBundle, str] | None:
    """Take the build with a conditional UPDATE. None when it is ready (or gone); LeaseHeld when another
    worker is on it."""
    now = timezone.now()
    token = uuid.uuid4().hex
    claimable = Q(status=BundleStatus.QUEUED) | Q(status=BundleStatus.RUNNING, lease_expires_at__lt=now)
    claimed = EvidenceBundle.objects.filter(claimable, pk=bundle_id).update(
        status=BundleStatus.RUNNING,
        lease_token=token,
        lease_expires_at=now + lease_length(),
        attempts=F("attempts") + 1,
        started_at=now,
        progress_percent=0,
        progress_message=_("Starting"),
    )
    if claimed:
        return EvidenceBundle.objects.select_related("case", "requested_by").get(pk=bundle_id), token
    bundle = EvidenceBundle.objects.filter(pk=bundle_id).values("status", "lease_expires_at").first()
    if bundle is None or bundle["status"] not in (BundleStatus.QUEUED, BundleStatus.RUNNING):
        return None
    raise LeaseHeld(max(1.0, (bundle["lease_expires_at"] - now).total_seconds() + 1))


def _report_progress(bundle_id: int, token: str, percent: int, message: str) -> None:
    # Renews the lease too: a build that reports progress is alive.
    EvidenceBundle.objects.filter(pk=bundle_id, lease_token=token).update(
        progress_percent=min(percent, 99),
        progress_message=message[:300],
        lease_expires_at=timezone.now() + lease_length(),
    )


def private_directory(path: Path) -> None:
    """`path` and the packets folder above it, created (or narrowed) to their owner only."""
    root = Path(default_storage.path("bundles"))
    for folder in (root, path):
        folder.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
        os.chmod(folder, DIRECTORY_MODE)


def bundle_build(*, bundle_id: int) -> None:
    """Build the packet. Safe to deliver twice: the lease and the ready state make the second a no-op."""
    claim = bundle_claim(bundle_id=bundle_id)
    if claim is None:
        return
    bundle, token = claim
    final_name = f"bundles/{bundle.case_id}/{bundle.case.reference}-bundle-{bundle.pk}.zip"
    final_path = Path(default_storage.path(final_name))
    partial_path = final_path.with_name(f".{final_path.name}.{token}.partial")
    try:
        private_directory(final_path.parent)
        # A build killed mid-way leaves its partial file; whoever holds the lease now clears it away.
        for leftover in final_path.parent.glob(f".{final_path.name}.*.partial"):
            leftover.unlink(missing_ok=True)
        result = build_packet(
            bundle, partial_path, progress=lambda percent, message: _report_progress(bundle.pk, token, percent, message)
        )
        with transaction.atomic():
            still_ours = EvidenceBundle.objects.select_for_update().filter(pk=bundle.pk, lease_token=token).exists()
            if not still_ours:
                partial_path.unlink(missing_ok=True)
                return
            os.replace(partial_path, final_path)
            EvidenceBundle.objects.filter(pk=bundle.pk).update(
                status=BundleStatus.READY,
                archive=final_name,
                manifest_sha256=result.manifest_sha256,
                size_bytes=final_path.stat().st_size,
                progress_percent=100,
                progress_message=_("Ready"),
                finished_at=timezone.now(),
                failure_reason="",
                lease_token="",
                expired_at=None,
                witness_material=result.witness_material,
                exhibit_count=len(result.exported_item_ids),
                testimony_count=result.testimony_count,
            )
            notify_packet_ready(bundle=bundle)
            # Only what is really in the packet was exported; withheld and quarantined items were not.
            for item in MediaItem.objects.filter(pk__in=result.exported_item_ids).order_by("pk"):
                custody_record(
                    action=CustodyAction.EXPORTED,
                    target=item,
                    actor=bundle.requested_by,
                    details={"bundle": bundle.pk, "profile": bundle.profile, "recipient": bundle.recipient},
                )
            for witness in Witness.objects.filter(pk__in=result.named_witness_ids).order_by("pk"):
                _audit_reveal(bundle=bundle, witness=witness, actor=bundle.requested_by, details={"built": True})
            audit_record(
                action=AuditAction.EXPORT,
                actor=bundle.requested_by,
                case=bundle.case,
                target=bundle,
                details={
                    "profile": bundle.profile,
                    "recipient": bundle.recipient,
                    "manifest_sha256": result.manifest_sha256,
                },
            )
    except (OperationalError, InterfaceError):
        # The database went away: not the packet's fault. Back to the queue for the task's retry (or, if the
        # database cannot even be told, the lease runs out and the sweep sends it again).
        partial_path.unlink(missing_ok=True)
        _release_for_retry(bundle_id=bundle.pk, token=token)
        raise
    except Exception as error:
        partial_path.unlink(missing_ok=True)
        bundle_fail(bundle_id=bundle.pk, token=token, reason=f"{type(error).__name__}: {error}")
        raise


def _release_for_retry(*, bundle_id: int, token: str) -> None:
    try:
        EvidenceBundle.objects.filter(pk=bundle_id, lease_token=token).update(
            status=BundleStatus.QUEUED, lease_token="", lease_expires_at=None, progress_message=_("Waiting to retry")
        )
    except (OperationalError, InterfaceError):
        pass


def _audit_reveal(*, bundle: EvidenceBundle, witness: Witness, actor, request=None, details: dict) -> None:
    audit_record(
        action=AuditAction.IDENTITY_REVEALED,
        actor=actor,
        case=bundle.case,
        target=witness,
        reason=bundle.purpose,
        request=request,
        details={"pseudonym": witness.pseudonym, "bundle": bundle.pk, "profile": bundle.profile, **details},
    )


def scrub_paths(text: str) -> str:
    """`text` without server file paths (the media folder's, or any absolute path)."""
    for root in {str(settings.MEDIA_ROOT), str(Path(settings.MEDIA_ROOT).resolve())}:
        text = text.replace(root, "[media]")
    return SERVER_PATH.sub("[path]", text)


def bundle_fail(*, bundle_id: int, token: str, reason: str) -> None:
    EvidenceBundle.objects.filter(pk=bundle_id, lease_token=token).update(
        status=BundleStatus.FAILED,
        failure_reason=scrub_paths(reason)[:2000] or "unknown error",
        finished_at=timezone.now(),
        lease_token="",
    )


def bundle_consent_lapses(*, bundle: EvidenceBundle) -> list[ConsentLapse]:
    """Witnesses whose consent, read today for the packet's profile, no longer covers what the built packet
    carries of them (their testimony, recordings, media or name)."""
    if bundle.status != BundleStatus.READY or not bundle.witness_material:
        return []
    rules = profiles.rules_for(bundle.profile)
    witnesses = Witness.objects.in_bulk([entry["witness"] for entry in bundle.witness_material])
    today = timezone.localdate()
    lapses = []
    for entry in bundle.witness_material:
        witness = witnesses.get(entry["witness"])
        if witness is None:
            continue
        now = profiles.disclosure(witness=witness, rules=rules, names_witnesses=bundle.names_witnesses, on=today)
        if not profiles.covers(carried=entry["disclosure"], now=now):
            day = profiles.consent_lapse_day(witness=witness, rules=rules) or today
            lapses.append(ConsentLapse(witness.pk, witness.pseudonym, day))
    return lapses


def bundle_check_download(*, bundle: EvidenceBundle, actor) -> None:
    """Refuse the download of a packet that names witnesses to anyone who may not reveal identities
    (PermissionDenied), of an expired packet (410) and of one whose consent no longer holds (409)."""
    if bundle.names_witnesses and not actor.has_perm(access.REVEAL_IDENTITY, bundle.case):
        raise PermissionDenied
    if bundle.status == BundleStatus.EXPIRED:
        raise PacketUnavailable(
            _(
                "This packet expired on %(date)s and its file was deleted (packets are kept %(days)s days). "
                "Request a new one."
            )
            % {
                "date": formatting.format_date(timezone.localdate(bundle.expired_at)),
                "days": settings.CASEWORK_PACKET_RETENTION_DAYS,
            },
            status_code=410,
        )
    lapses = bundle_consent_lapses(bundle=bundle)
    if lapses:
        raise PacketUnavailable(" ".join(lapse.message for lapse in lapses), status_code=409)


def bundle_may_rebuild(*, bundle: EvidenceBundle) -> bool:
    if bundle.status in (BundleStatus.FAILED, BundleStatus.EXPIRED):
        return True
    return bool(bundle_consent_lapses(bundle=bundle))


def bundle_retry(*, bundle: EvidenceBundle) -> None:
    """Build again a packet that failed, expired, or carries material a consent no longer covers. The old
    file is deleted first; the new build reads every consent afresh."""
    if not bundle_may_rebuild(bundle=bundle):
        return
    with transaction.atomic():
        updated = EvidenceBundle.objects.filter(pk=bundle.pk, status=bundle.status).update(
            status=BundleStatus.QUEUED,
            failure_reason="",
            progress_percent=0,
            progress_message="",
            archive="",
            size_bytes=None,
            manifest_sha256="",
            witness_material=[],
        )
        if updated:
            if bundle.archive:
                default_storage.delete(bundle.archive.name)
            bundle_schedule_build(bundle_id=bundle.pk)


# A packet still queued this long after its request lost its message (the broker was down when it was sent).
SWEEP_GRACE = timedelta(minutes=5)


def bundles_stalled(*, now=None) -> list[int]:
    """Packets whose build no worker is on: queued for longer than SWEEP_GRACE (the message was lost), or
    running with a lease that ran out (the worker died, or the database went away mid-build)."""
    now = now or timezone.now()
    stalled = EvidenceBundle.objects.filter(
        Q(status=BundleStatus.QUEUED, requested_at__lt=now - SWEEP_GRACE)
        | Q(status=BundleStatus.RUNNING, lease_expires_at__lt=now)
    )
    return list(stalled.order_by("pk").values_list("pk", flat=True))


def bundles_expire(*, now=None) -> int:
    """Delete the files of packets older than the retention period and mark them expired. Idempotent."""
    now = now or timezone.now()
    expired = 0
    for bundle in EvidenceBundle.objects.filter(status=BundleStatus.READY, finished_at__lte=now - retention_period()):
        with transaction.atomic():
            claimed = EvidenceBundle.objects.filter(pk=bundle.pk, status=BundleStatus.READY).update(
                status=BundleStatus.EXPIRED, expired_at=now, archive="", size_bytes=None
            )
            if claimed:
                default_storage.delete(bundle.archive.name)
                expired += 1
    return expired


def bundle_record_download(*, bundle: EvidenceBundle, actor, request=None) -> None:
    """Record a download in the custody and audit logs; for a packet that names witnesses, one identity
    reveal per named witness, with the packet's purpose as the reason."""
    with transaction.atomic():
        custody_record(
            action=CustodyAction.BUNDLE_DOWNLOADED,
            target=bundle,
            actor=actor,
            details={"manifest_sha256": bundle.manifest_sha256},
        )
        audit_record(
            action=AuditAction.EXPORT,
            actor=actor,
            case=bundle.case,
            target=bundle,
            request=request,
            details={"downloaded": True, "manifest_sha256": bundle.manifest_sha256},
        )
        named = [entry["witness"] for entry in bundle.witness_material if entry["disclosure"] == Disclosure.NAME]
        for witness in Witness.objects.filter(pk__in=named).order_by("pk"):
            _audit_reveal(bundle=bundle, witness=witness, actor=actor, request=request, details={"downloaded": True})
