"""Writes for witnesses, their consent and testimonies: the one door of every screen, the API, the admin and
commands. Each write runs the model's checks and claims the version; every rule that protects a witness or the
two-person review lives here once.
"""

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.audit.models import AuditAction
from casework.audit.services import audit_record
from casework.bulk import BulkOutcome, bulk_apply
from casework.cases import access
from casework.cases.models import Case
from casework.cases.versioning import version_claim
from casework.errors import Refused, save_checked
from casework.evidence.services import media_set_testimony_recordings
from casework.notifications.services import notify_testimony_rejected
from casework.search.models import RecordKind
from casework.search.services import search_index
from casework.web import formatting
from casework.witnesses.models import (
    IDENTITY_FIELDS,
    Consent,
    ReviewStatus,
    Testimony,
    TestimonyTranslation,
    Witness,
    WitnessIdentityChange,
)

WITNESS_FIELDS = ("pseudonym", "relationship", "risk_level", "reliability", "connection", "notes")
CONSENT_FIELDS = ("scope", "allows_name", "given_on", "method", "notes")
TESTIMONY_FIELDS = ("witness", "interview_date", "method", "language", "original_text")


def _unknown(values: Mapping[str, Any], allowed: Iterable[str], what: str) -> None:
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError(f"Not {what} fields: {sorted(unknown)}")


# Witnesses -------------------------------------------------------------------------------------------------


def witness_write(
    *,
    case: Case,
    actor,
    values: Mapping[str, Any],
    witness: Witness | None = None,
    expected_version: int | None = None,
    request=None,
) -> Witness:
    """Create a witness or change one (from `expected_version`, else EditConflict).

    An identity field left out or empty keeps what is recorded, so a form or client that never saw the identity
    cannot wipe it. Changing an identity field is never silent: the earlier values are kept encrypted
    (WitnessIdentityChange) and the change is audited (which fields, who), never the values themselves.
    """
    _unknown(values, (*WITNESS_FIELDS, *IDENTITY_FIELDS), "witness")
    with transaction.atomic():
        if witness is None:
            witness = Witness()
        creating = witness.pk is None
        if creating:
            witness.case = case
            witness.created_by = actor
        else:
            if witness.case_id != case.pk:
                raise Refused(_("This witness belongs to another case."))
            version_claim(witness, expected_version=expected_version)
        changed = [name for name in WITNESS_FIELDS if name in values]
        for name in changed:
            setattr(witness, name, values[name])
        identity = {name: values[name] for name in IDENTITY_FIELDS if values.get(name)}
        previous = {}
        if identity and not creating:
            stored = Witness.objects.only(*IDENTITY_FIELDS).get(pk=witness.pk)
            previous = {name: getattr(stored, name) for name in identity if getattr(stored, name) != identity[name]}
            identity = {name: identity[name] for name in previous}
        for name, value in identity.items():
            setattr(witness, name, value)
        witness._history_user = actor
        update_fields = None if creating else [*changed, *identity]
        save_checked(witness, update_fields=update_fields)
        if previous:
            WitnessIdentityChange.objects.create(
                witness=witness,
                changed_by=actor,
                fields=sorted(previous),
                previous_values=json.dumps(previous, ensure_ascii=False),
            )
            audit_record(
                action=AuditAction.IDENTITY_CHANGED,
                actor=actor,
                case=case,
                target=witness,
                request=request,
                details={"pseudonym": witness.pseudonym, "fields": sorted(previous)},
            )
    return witness


def witness_reveal_identity(*, witness: Witness, actor, reason: str, request=None) -> dict[str, str]:
    """The identity of a witness, for a person allowed to see it, recorded in the audit log with the reason.

    The caller has checked the permission; the reason is required.
    """
    reason = reason.strip()
    if not reason:
        raise Refused(_("Say why you need to see this identity."), field="reason")
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


# Consent ---------------------------------------------------------------------------------------------------


def consent_record(*, witness: Witness, values: Mapping[str, Any], actor) -> Consent:
    """Record a consent. From the day it was given it supersedes the consent in force for the same scope.

    Sharing the name takes effect only once a case admin confirms it; a case admin recording it confirms it.
    """
    _unknown(values, CONSENT_FIELDS, "consent")
    with transaction.atomic():
        consent = Consent(witness=witness, recorded_by=actor, **values)
        if consent.allows_name and actor.has_perm(access.MANAGE_TEAM, witness.case):
            consent.name_confirmed_by = actor
            consent.name_confirmed_at = timezone.now()
        consent._history_user = actor
        save_checked(consent)
        older = Consent.objects.filter(witness=witness, scope=consent.scope, given_on__lte=consent.given_on)
        older.exclude(pk=consent.pk).in_force(consent.given_on).update(superseded_on=consent.given_on)
    return consent


def consents_record(*, witness: Witness, scopes: Iterable[str], values: Mapping[str, Any], actor) -> list[Consent]:
    """One consent per scope, with the same terms (the form's several scopes in one submit), all or none."""
    scopes = list(dict.fromkeys(scopes))
    if not scopes:
        raise Refused(_("Choose at least one scope."), field="scopes")
    with transaction.atomic():
        return [consent_record(witness=witness, values={**values, "scope": scope}, actor=actor) for scope in scopes]


def consent_confirm_name(*, consent: Consent, actor) -> Consent:
    """A case admin's confirmation that the witness agreed to share their name in this scope."""
    if not actor.has_perm(access.MANAGE_TEAM, consent.witness.case):
        raise Refused(_("Only a case admin can confirm that a witness's name may be shared."))
    if not consent.allows_name:
        raise Refused(_("This consent does not allow the name to be shared."))
    if consent.name_confirmed_at is not None:
        return consent
    consent.name_confirmed_by = actor
    consent.name_confirmed_at = timezone.now()
    consent._history_user = actor
    consent.save(update_fields=["name_confirmed_by", "name_confirmed_at"])
    return consent


def consent_withdraw(*, consent: Consent, withdrawn_on: date, reason: str, actor) -> Consent:
    """Record that consent was withdrawn from a date on: earlier uses stay covered, later ones are not."""
    if consent.withdrawn_on is not None:
        raise Refused(
            _("This consent was already withdrawn on %(date)s.") % {"date": consent.withdrawn_on}, field="withdrawn_on"
        )
    if withdrawn_on < consent.given_on:
        raise Refused(_("Consent cannot be withdrawn before it was given."), field="withdrawn_on")
    consent.withdrawn_on = withdrawn_on
    consent.withdrawal_reason = reason.strip()
    consent._history_user = actor
    consent.save(update_fields=["withdrawn_on", "withdrawal_reason"])
    return consent


# Testimonies -----------------------------------------------------------------------------------------------


def testimony_write(
    *,
    case: Case,
    actor,
    values: Mapping[str, Any],
    testimony: Testimony | None = None,
    expected_version: int | None = None,
    incidents: Iterable | None = None,
    translations: list[Mapping[str, str]] | None = None,
    recordings: Iterable | None = None,
) -> Testimony:
    """Create a testimony (recorded and interviewed by `actor`) or change one from `expected_version`.

    A verified testimony cannot be changed; changing a submitted or rejected one returns it to draft, so what
    a reviewer verifies is what was submitted. Whoever writes or edits the text or a translation becomes one of
    its authors, who may not verify it. `incidents`, `translations` and `recordings`, when given, replace the
    current ones.
    """
    _unknown(values, TESTIMONY_FIELDS, "testimony")
    incidents = list(incidents) if incidents is not None else None
    with transaction.atomic():
        if testimony is None:
            testimony = Testimony()
        creating = testimony.pk is None
        if creating:
            testimony.case = case
            testimony.created_by = actor
            testimony.interviewer = actor
            if not incidents:
                raise Refused(_("Name at least one incident the testimony is about."), field="incidents")
        else:
            if testimony.case_id != case.pk:
                raise Refused(_("This testimony belongs to another case."))
            if not testimony.is_editable():
                raise Refused(_("A verified testimony cannot be edited."))
            version_claim(testimony, expected_version=expected_version)
            if incidents is not None and not incidents:
                raise Refused(_("Name at least one incident the testimony is about."), field="incidents")
        witness = values.get("witness")
        if witness is not None and witness.case_id != case.pk:
            raise Refused(_("The witness must belong to this case."), field="witness")
        if incidents and any(incident.case_id != case.pk for incident in incidents):
            raise Refused(_("Every incident must belong to this case."), field="incidents")
        # Read from the database: a model form has already put the typed text on the instance.
        text_before = "" if creating else Testimony.objects.values_list("original_text", flat=True).get(pk=testimony.pk)
        changed = [name for name in TESTIMONY_FIELDS if name in values]
        for name in changed:
            setattr(testimony, name, values[name])
        if not creating and testimony.status != ReviewStatus.DRAFT:
            testimony.status = ReviewStatus.DRAFT
            testimony.reviewed_by = None
            testimony.reviewed_at = None
            testimony.review_reason = ""
            changed += ["status", "reviewed_by", "reviewed_at", "review_reason"]
        testimony._history_user = actor
        save_checked(testimony, update_fields=None if creating else [*changed, "updated_at"])
        text_edited = creating or testimony.original_text != text_before
        if incidents is not None:
            testimony.incidents.set(incidents)
        if translations is not None:
            text_edited |= _replace_translations(testimony, translations, actor=actor)
        if recordings is not None:
            media_set_testimony_recordings(testimony=testimony, items=list(recordings), actor=actor)
        if text_edited:
            testimony.authors.add(actor)
            search_index(kind=RecordKind.TESTIMONY, ids=[testimony.pk])
    return testimony


def _replace_translations(testimony: Testimony, translations: list[Mapping[str, str]], *, actor) -> bool:
    """Make `translations` the testimony's translations; whether any text changed."""
    wanted = {row["language"]: row["text"] for row in translations}
    if len(wanted) != len(translations):
        raise Refused(_("One translation per language."), field="translations")
    current = {translation.language: translation for translation in testimony.translations.all()}
    if {language: row.text for language, row in current.items()} == wanted:
        return False
    for language, row in current.items():
        if wanted.get(language) != row.text:
            row.delete()
    for language, text in wanted.items():
        if language in current and current[language].text == text:
            continue
        translation = TestimonyTranslation(testimony=testimony, language=language, text=text, translator=actor)
        translation._history_user = actor
        save_checked(translation)
    return True


def testimony_submit(*, testimony: Testimony, actor, expected_version: int | None = None) -> Testimony:
    """Submit a draft (or rejected) testimony for review; from `expected_version` when given."""
    if not testimony.is_submittable():
        raise Refused(_("Only a draft or rejected testimony can be submitted for review."))
    with transaction.atomic():
        version_claim(testimony, expected_version=testimony.version if expected_version is None else expected_version)
        testimony.status = ReviewStatus.SUBMITTED
        testimony._history_user = actor
        testimony.save(update_fields=["status", "version", "updated_at"])
    return testimony


def testimony_review(
    *, testimony: Testimony, reviewer, verified: bool, reason: str, expected_version: int | None
) -> Testimony:
    """Verify or reject the version of a submitted testimony the reviewer read (else EditConflict).

    Two-person rule: nobody who recorded it, interviewed for it, or wrote or edited its text may review it.
    """
    if testimony.wrote_or_edited(reviewer):
        raise Refused(_("You recorded or edited this testimony, so someone else must review it."))
    if not testimony.is_reviewable():
        raise Refused(_("Only a submitted testimony can be reviewed."))
    if not verified and not reason.strip():
        raise Refused(_("Say why the testimony is rejected."), field="reason")
    with transaction.atomic():
        version_claim(testimony, expected_version=expected_version)
        testimony.status = ReviewStatus.VERIFIED if verified else ReviewStatus.REJECTED
        testimony.reviewed_by = reviewer
        testimony.reviewed_at = timezone.now()
        testimony.review_reason = reason.strip()
        testimony._history_user = reviewer
        testimony.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason", "version", "updated_at"])
        if not verified:
            notify_testimony_rejected(testimony=testimony, reviewer=reviewer)
    return testimony


class BulkTestimonyAction(models.TextChoices):
    LINK_INCIDENT = "link_incident", gettext_lazy("Link to an incident")
    VERIFY = "verify", gettext_lazy("Verify (review)")


def testimonies_bulk_apply(*, testimonies: Iterable[Testimony], actor, action: str, incident=None) -> BulkOutcome:
    """Apply one action to each testimony through its single-item service (testimony_write, testimony_review),
    from the version read now: the two-person rule and "a verified testimony cannot be edited" hold per
    testimony, and refusals are listed by the witness's pseudonym."""
    if action == BulkTestimonyAction.LINK_INCIDENT:
        if incident is None:
            raise Refused(_("Choose the incident to link."), field="incident")

        def apply(testimony: Testimony) -> None:
            if not actor.has_perm(access.EDIT_RECORDS, testimony.case):
                raise PermissionDenied
            current = list(testimony.incidents.all())
            if incident not in current:
                testimony_write(
                    case=testimony.case,
                    actor=actor,
                    testimony=testimony,
                    expected_version=testimony.version,
                    values={},
                    incidents=[*current, incident],
                )

    elif action == BulkTestimonyAction.VERIFY:

        def apply(testimony: Testimony) -> None:
            if not actor.has_perm(access.REVIEW, testimony.case):
                raise PermissionDenied
            testimony_review(
                testimony=testimony, reviewer=actor, verified=True, reason="", expected_version=testimony.version
            )

    else:
        raise Refused(_("Choose an action."), field="action")

    def label(testimony: Testimony) -> str:
        return f"{testimony.witness.pseudonym} ({formatting.format_date(testimony.interview_date)})"

    return bulk_apply(testimonies, label=label, apply=apply)
