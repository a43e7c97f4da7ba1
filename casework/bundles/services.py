"""Evidence packets: request, build under a lease, mark ready atomically, record every download."""

import os
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.audit.models import AuditAction
from casework.audit.services import audit_record
from casework.bundles.builder import build_packet
from casework.bundles.models import BundleScope, BundleStatus, EvidenceBundle
from casework.evidence.custody import custody_record
from casework.evidence.models import CustodyAction, MediaItem


class BundleRefused(ValueError):
    """A request the rules do not allow; the message is shown to the person."""


class LeaseHeld(Exception):
    """Another worker holds the build; try again once `retry_in` seconds have passed."""

    def __init__(self, retry_in: float):
        super().__init__(f"lease held for another {retry_in:.0f} s")
        self.retry_in = retry_in


def lease_length() -> timedelta:
    return timedelta(seconds=settings.CASEWORK_BUNDLE_LEASE_SECONDS)


def bundle_request(*, case, scope, incidents, recipient: str, profile: str, purpose: str, actor) -> EvidenceBundle:
    incidents = list(incidents)
    if scope == BundleScope.INCIDENTS and not incidents:
        raise BundleRefused(_("Choose at least one incident, or the whole case."))
    if any(incident.case_id != case.pk for incident in incidents):
        raise BundleRefused(_("Every incident must belong to this case."))
    with transaction.atomic():
        bundle = EvidenceBundle.objects.create(
            case=case, scope=scope, recipient=recipient.strip(), profile=profile, purpose=purpose, requested_by=actor
        )
        bundle.incidents.set(incidents if scope == BundleScope.INCIDENTS else [])
        bundle_schedule_build(bundle_id=bundle.pk)
    return bundle


def bundle_schedule_build(*, bundle_id: int) -> None:
    from casework.bundles.tasks import bundle_build_task

    bundle_build_task.delay_on_commit(bundle_id)


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
        return EvidenceBundle.objects.select_related("case").get(pk=bundle_id), token
    bundle = EvidenceBundle.objects.filter(pk=bundle_id).values("status", "lease_expires_at").first()
    if bundle is None or bundle["status"] in (BundleStatus.READY, BundleStatus.FAILED):
        return None
    raise LeaseHeld(max(1.0, (bundle["lease_expires_at"] - now).total_seconds() + 1))


def _report_progress(bundle_id: int, token: str, percent: int, message: str) -> None:
    # Renews the lease too: a build that reports progress is alive.
    EvidenceBundle.objects.filter(pk=bundle_id, lease_token=token).update(
        progress_percent=min(percent, 99),
        progress_message=message[:300],
        lease_expires_at=timezone.now() + lease_length(),
    )


def bundle_build(*, bundle_id: int) -> None:
    """Build the packet. Safe to deliver twice: the lease and the ready state make the second a no-op."""
    claim = bundle_claim(bundle_id=bundle_id)
    if claim is None:
        return
    bundle, token = claim
    final_name = f"bundles/{bundle.case_id}/{bundle.case.reference}-bundle-{bundle.pk}.zip"
    final_path = Path(default_storage.path(final_name))
    final_path.parent.mkdir(parents=True, exist_ok=True)
    partial_path = final_path.with_name(f".{final_path.name}.{token}.partial")
    # A build killed mid-way leaves its partial file; whoever holds the lease now clears it away.
    for leftover in final_path.parent.glob(f".{final_path.name}.*.partial"):
        leftover.unlink(missing_ok=True)
    try:
        manifest_sha256 = build_packet(
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
                manifest_sha256=manifest_sha256,
                size_bytes=final_path.stat().st_size,
                progress_percent=100,
                progress_message=_("Ready"),
                finished_at=timezone.now(),
                failure_reason="",
                lease_token="",
            )
            items = MediaItem.objects.filter(incidents__in=_incidents_of(bundle)).distinct()
            for item in items:
                custody_record(
                    action=CustodyAction.EXPORTED,
                    target=item,
                    actor=bundle.requested_by,
                    details={"bundle": bundle.pk, "profile": bundle.profile, "recipient": bundle.recipient},
                )
            audit_record(
                action=AuditAction.EXPORT,
                actor=bundle.requested_by,
                case=bundle.case,
                target=bundle,
                details={"profile": bundle.profile, "recipient": bundle.recipient, "manifest_sha256": manifest_sha256},
            )
    except Exception as error:
        partial_path.unlink(missing_ok=True)
        bundle_fail(bundle_id=bundle.pk, token=token, reason=f"{type(error).__name__}: {error}")
        raise


def _incidents_of(bundle: EvidenceBundle):
    from casework.bundles.builder import bundle_incidents

    return bundle_incidents(bundle)


def bundle_fail(*, bundle_id: int, token: str, reason: str) -> None:
    EvidenceBundle.objects.filter(pk=bundle_id, lease_token=token).update(
        status=BundleStatus.FAILED,
        failure_reason=reason[:2000] or "unknown error",
        finished_at=timezone.now(),
        lease_token="",
    )


def bundle_retry(*, bundle: EvidenceBundle) -> None:
    updated = EvidenceBundle.objects.filter(pk=bundle.pk, status=BundleStatus.FAILED).update(
        status=BundleStatus.QUEUED, failure_reason="", progress_percent=0, progress_message=""
    )
    if updated:
        bundle_schedule_build(bundle_id=bundle.pk)


def bundle_record_download(*, bundle: EvidenceBundle, actor, request=None) -> None:
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
