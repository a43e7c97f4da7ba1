"""Redaction profiles: what an evidence packet may contain, decided in one place."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from casework.bundles.models import RedactionProfile
from casework.evidence.models import MediaItem, MediaSource
from casework.witnesses.consent import Disclosure, witness_disclosure
from casework.witnesses.models import ConsentScope, Testimony


@dataclass(frozen=True)
class ProfileRules:
    consent_scope: str
    # Originals byte for byte; otherwise photos are copied without GPS/device metadata and others left out.
    include_originals: bool
    # Public packets never name anyone, whatever the consent says.
    names_allowed: bool


PROFILE_RULES = {
    RedactionProfile.INTERNAL: ProfileRules(ConsentScope.INTERNAL, include_originals=True, names_allowed=True),
    RedactionProfile.COURT: ProfileRules(ConsentScope.COURTS, include_originals=True, names_allowed=True),
    RedactionProfile.PUBLIC: ProfileRules(ConsentScope.MEDIA_PUBLIC, include_originals=False, names_allowed=False),
}


def testimony_disclosure(*, testimony: Testimony, profile: str) -> Disclosure:
    rules = PROFILE_RULES[profile]
    disclosure = witness_disclosure(witness=testimony.witness, scope=rules.consent_scope)
    if disclosure == Disclosure.NAME and not rules.names_allowed:
        return Disclosure.PSEUDONYM
    return disclosure


def media_exclusion_reason(*, item: MediaItem, profile: str) -> str:
    """Why `item` must stay out of a packet with this profile, or "" if it may go in."""
    rules = PROFILE_RULES[profile]
    if item.processing_state == "quarantined":
        return str(_("quarantined as a possibly hostile file"))
    if item.verification_status == "rejected":
        return str(_("rejected in review"))
    if item.testimony_id is not None:
        if testimony_disclosure(testimony=item.testimony, profile=profile) == Disclosure.WITHHOLD:
            return str(_("the witness has not consented to this use"))
    elif item.source == MediaSource.WITNESS and profile == RedactionProfile.PUBLIC:
        # Nobody's consent can be checked for it: a witness's file stays out of public packets.
        return str(_("from a witness, with no consent to public use on record"))
    if not rules.include_originals and item.kind != "photo":
        return str(_("only photos can be shared as metadata-free copies"))
    return ""
