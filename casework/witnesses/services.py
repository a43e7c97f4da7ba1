from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.cases.versioning import version_claim
from casework.evidence.services import media_set_testimony_recordings
from casework.witnesses.models import IDENTITY_FIELDS, Consent, ReviewStatus, Testimony, TestimonyTranslation, Witness


class ReviewRefused(ValueError):
    """A review step the rules do not allow; the message is shown to the person."""


def witness_save(*, form, actor, expected_version: int | None) -> Witness:
    with transaction.atomic():
        witness = form.instance
        if witness.pk is not None:
            version_claim(witness, expected_version=expected_version or 0)
        else:
            witness.created_by = actor
        return form.save()


def witness_write(*, witness: Witness, values: dict, actor, expected_version: int | None) -> Witness:
    """Create or change a witness from checked values. An identity field left out or empty keeps what is
    recorded, so a client that never saw the identity cannot wipe it by accident."""
    with transaction.atomic():
        if witness.pk is not None:
            version_claim(witness, expected_version=expected_version or 0)
        else:
            witness.created_by = actor
        for name, value in values.items():
            if name in IDENTITY_FIELDS and not value:
                continue
            setattr(witness, name, value)
        witness.save()
    return witness


def consent_record(*, witness: Witness, values: dict, actor) -> Consent:
    """Record a consent. It supersedes, from the day it was given, the consent in force for the same scope.

    Sharing the name takes effect only once a case admin confirms it; a case admin recording it confirms it.
    """
    from casework.cases import access

    with transaction.atomic():
        consent = Consent(witness=witness, recorded_by=actor, **values)
        if consent.allows_name and actor is not None and actor.has_perm(access.MANAGE_TEAM, witness.case):
            consent.name_confirmed_by = actor
            consent.name_confirmed_at = timezone.now()
        consent.save()
        Consent.objects.filter(witness=witness, scope=consent.scope, given_on__lte=consent.given_on).exclude(
            pk=consent.pk
        ).in_force(consent.given_on).update(superseded_on=consent.given_on)
    return consent


def consent_confirm_name(*, consent: Consent, actor) -> Consent:
    """A case admin's confirmation that the witness agreed to share their name in this scope."""
    from casework.cases import access

    if not actor.has_perm(access.MANAGE_TEAM, consent.witness.case):
        raise ReviewRefused(_("Only a case admin can confirm that a witness's name may be shared."))
    if not consent.allows_name:
        raise ReviewRefused(_("This consent does not allow the name to be shared."))
    consent.name_confirmed_by = actor
    consent.name_confirmed_at = timezone.now()
    consent.save(update_fields=["name_confirmed_by", "name_confirmed_at"])
    return consent


def consent_withdraw(*, consent: Consent, withdrawn_on, notes: str = "") -> Consent:
    """Record that consent was withdrawn from a date on; earlier uses stay covered, later ones are not."""
    if consent.withdrawn_on is not None:
        raise ReviewRefused(_("This consent was already withdrawn on %(date)s.") % {"date": consent.withdrawn_on})
    if withdrawn_on < consent.given_on:
        raise ReviewRefused(_("Consent cannot be withdrawn before it was given."))
    consent.withdrawn_on = withdrawn_on
    if notes.strip():
        consent.notes = f"{consent.notes}\n{notes.strip()}".strip()
    consent.save(update_fields=["withdrawn_on", "notes"])
    return consent


def testimony_write(
    *, testimony: Testimony, values: dict, translations: list[dict] | None, actor, expected_version: int | None
) -> Testimony:
    """Create or change a testimony from checked values; `translations`, when given, replace the current ones."""
    incidents = values.pop("incidents", None)
    recordings = values.pop("recordings", None)
    with transaction.atomic():
        _testimony_claim(testimony, actor=actor, expected_version=expected_version)
        for name, value in values.items():
            setattr(testimony, name, value)
        testimony.save()
        if incidents is not None:
            testimony.incidents.set(incidents)
        if recordings is not None:
            media_set_testimony_recordings(testimony=testimony, items=recordings, actor=actor)
        if translations is not None:
            testimony.translations.all().delete()
            for translation in translations:
                TestimonyTranslation.objects.create(testimony=testimony, translator=actor, **translation)
    return testimony


def testimony_save(*, form, translations, actor, expected_version: int | None) -> Testimony:
    with transaction.atomic():
        testimony = form.instance
        _testimony_claim(testimony, actor=actor, expected_version=expected_version)
        testimony = form.save()
        media_set_testimony_recordings(testimony=testimony, items=form.cleaned_data["recordings"], actor=actor)
        translations.instance = testimony
        for translation in translations.save(commit=False):
            translation.translator = translation.translator or actor
            translation.save()
        for removed in translations.deleted_objects:
            removed.delete()
    return testimony


def _testimony_claim(testimony: Testimony, *, actor, expected_version: int | None) -> None:
    """Before an edit: a verified testimony stays as verified, and an edit from an older version is refused.
    A new testimony is recorded by the person entering it."""
    if testimony.pk is not None:
        if testimony.status == ReviewStatus.VERIFIED:
            raise ReviewRefused(_("A verified testimony cannot be edited."))
        version_claim(testimony, expected_version=expected_version or 0)
    else:
        testimony.created_by = actor
        testimony.interviewer = actor


def testimony_submit(*, testimony: Testimony, actor) -> Testimony:
    if testimony.status not in (ReviewStatus.DRAFT, ReviewStatus.REJECTED):
        raise ReviewRefused(_("Only a draft or rejected testimony can be submitted for review."))
    testimony.status = ReviewStatus.SUBMITTED
    testimony.save(update_fields=["status", "updated_at"])
    return testimony


def testimony_review(*, testimony: Testimony, reviewer, verified: bool, reason: str) -> Testimony:
    """Verify or reject a submitted testimony. Two-person rule: the author cannot review it."""
    if reviewer.pk in (testimony.created_by_id, testimony.interviewer_id):
        raise ReviewRefused(_("You recorded this testimony, so someone else must review it."))
    if testimony.status != ReviewStatus.SUBMITTED:
        raise ReviewRefused(_("Only a submitted testimony can be reviewed."))
    if not verified and not reason.strip():
        raise ReviewRefused(_("Say why the testimony is rejected."))
    with transaction.atomic():
        testimony.status = ReviewStatus.VERIFIED if verified else ReviewStatus.REJECTED
        testimony.reviewed_by = reviewer
        testimony.reviewed_at = timezone.now()
        testimony.review_reason = reason.strip()
        testimony.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason", "updated_at"])
    return testimony


def witness_reveal_identity(*, witness: Witness, actor, reason: str, request=None) -> dict[str, str]:
    """The identity of a witness, for a person allowed to see it, recorded in the audit log with the reason.

    The caller has checked the permission; the reason is required.
    """
    from casework.audit.models import AuditAction
    from casework.audit.services import audit_record

    reason = reason.strip()
    if not reason:
        raise ReviewRefused(_("Say why you need to see this identity."))
    audit_record(
        action=AuditAction.IDENTITY_REVEALED,
        actor=actor,
        case=witness.case,
        target=witness,
        reason=reason,
        request=request,
        details={"pseudonym": witness.pseudonym},
    )
    return {field: getattr(witness, field) for field in IDENTITY_FIELDS}
