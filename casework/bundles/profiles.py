"""Redaction profiles: what an evidence packet may contain, decided in one place.

The builder, the report, the services and the views ask these rules; none of them compares profile names.
"""

import datetime
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from casework.bundles.models import RedactionProfile
from casework.cases.models import CaseRole
from casework.evidence.models import MediaItem, MediaSource, ProcessingState, VerificationStatus
from casework.witnesses.consent import Disclosure, consent_ended_on, witness_disclosure
from casework.witnesses.models import ConsentScope, Witness


@dataclass(frozen=True)
class ProfileRules:
    # The consent a witness must have given for their material to go into the packet.
    consent_scope: str
    # Originals byte for byte; otherwise only photos, re-encoded without GPS/device metadata.
    include_originals: bool
    # A witness may be named at all (their consent allows it and the requester may reveal identities).
    names_allowed: bool
    # Coordinates and device details in the report.
    shows_locations: bool
    shows_victim_names: bool
    # Staff usernames (who acquired a file, who handled it); otherwise their role on the case.
    shows_staff_usernames: bool
    # The left-out list names each item (SHA-256, pseudonym); otherwise it only counts them by kind and reason.
    lists_withheld_items: bool
    # A file from a witness with no witness on record to ask for consent may go in.
    admits_unattributed_witness_media: bool
    # Source URLs of material tied to a witness (they can lead back to the person).
    shows_witness_source_urls: bool
    # Custody excerpts with every field of each event (re-hashable); otherwise hashes and links only.
    custody_in_full: bool
    # A Concordance DAT load file for e-discovery platforms.
    writes_loadfile: bool
    # The sender's file names in the report's exhibit index (they can name a person or a place).
    shows_original_filenames: bool
    # The marking on every page of report.pdf and in the load file.
    confidentiality: str
    # What the marking asks of whoever holds the packet, on the report's cover.
    handling: Promise


_CONFIDENTIAL = dict(
    include_originals=True,
    names_allowed=True,
    shows_locations=True,
    shows_victim_names=True,
    shows_staff_usernames=True,
    lists_withheld_items=True,
    admits_unattributed_witness_media=True,
    shows_witness_source_urls=True,
    custody_in_full=True,
    shows_original_filenames=True,
    confidentiality="CONFIDENTIAL",
    handling=_(
        "For the named recipient only. It may identify witnesses and victims who are at risk: do not copy, "
        "publish or pass it on without the sender's written agreement."
    ),
)
PROFILE_RULES = {
    RedactionProfile.INTERNAL: ProfileRules(ConsentScope.INTERNAL, writes_loadfile=False, **_CONFIDENTIAL),
    RedactionProfile.COURT: ProfileRules(ConsentScope.COURTS, writes_loadfile=True, **_CONFIDENTIAL),
    RedactionProfile.PUBLIC: ProfileRules(
        ConsentScope.MEDIA_PUBLIC,
        include_originals=False,
        names_allowed=False,
        shows_locations=False,
        shows_victim_names=False,
        shows_staff_usernames=False,
        lists_withheld_items=False,
        admits_unattributed_witness_media=False,
        shows_witness_source_urls=False,
        custody_in_full=False,
        writes_loadfile=False,
        shows_original_filenames=False,
        confidentiality="PUBLIC",
        handling=_(
            "Redacted for publication: no witness or victim is named, and no location, device detail or original "
            "file is included."
        ),
    ),
}

# What each profile puts in a packet, in the words of the request form.
EXPLANATIONS = {
    RedactionProfile.INTERNAL: _(
        "For the team. Originals byte for byte, locations, victims' names, staff usernames and the full custody "
        "record; witnesses named only where their consent allows it and you may reveal identities. Only material "
        "whose witnesses consented to internal use."
    ),
    RedactionProfile.COURT: _(
        "For a court or an investigator. As complete as Internal, with a load file for e-discovery platforms. "
        "Only material whose witnesses consented to use in court."
    ),
    RedactionProfile.PUBLIC: _(
        "For publication. No witness or victim named, no location or device detail, no original file (photos "
        "only, as copies without metadata), staff shown by their role. Only material whose witnesses consented "
        "to publication, so the packet may be empty."
    ),
}


def explanation(profile: str) -> str:
    return str(EXPLANATIONS[RedactionProfile(profile)])


# How staff appear in a packet that shows no usernames: their role on the case.
ROLE_TITLES = {
    CaseRole.INTAKE: _("field researcher"),
    CaseRole.REVIEWER: _("reviewer"),
    CaseRole.ANALYST: _("analyst"),
    CaseRole.CASE_ADMIN: _("case administrator"),
}
STAFF_MEMBER = _("staff member")

# Why something was left out of a packet (written into the packet, in English).
WITHDRAWN = _("withdrawn")
QUARANTINED = _("quarantined as a possibly hostile file")
REJECTED = _("rejected in review")
NO_CONSENT = _("the witness has not consented to this use")
CONSENT_WITHDRAWN = _("consent withdrawn")
UNATTRIBUTED_WITNESS_MEDIA = _("from a witness, with no consent to this use on record")
NOT_A_PHOTO = _("only photos can be shared as metadata-free copies")
NOT_PROCESSED = _("not processed successfully, so no metadata-free copy can be made")
NOT_REENCODABLE = _("could not be re-encoded without its metadata")


def rules_for(profile: str) -> ProfileRules:
    return PROFILE_RULES[profile]


def media_witness(item: MediaItem) -> Witness | None:
    """The witness whose consent governs `item`: who sent or recorded it, else whose testimony it records."""
    if item.witness_id is not None:
        return item.witness
    if item.testimony_id is not None:
        return item.testimony.witness
    return None


def disclosure(*, witness: Witness, rules: ProfileRules, names_witnesses: bool, on=None) -> Disclosure:
    """How much of `witness` a packet under `rules` may carry: their consent for the profile's scope, and the
    name only where the profile allows names and the packet was requested by someone who may reveal them."""
    consented = witness_disclosure(witness=witness, scope=rules.consent_scope, on=on)
    if consented == Disclosure.NAME and not (rules.names_allowed and names_witnesses):
        return Disclosure.PSEUDONYM
    return consented


def withheld_reason(*, witness: Witness, rules: ProfileRules, on=None) -> Promise:
    """Why a witness's material is withheld: a consent that ended, or none ever given for this scope."""
    if consent_ended_on(witness=witness, scope=rules.consent_scope, on=on) is not None:
        return CONSENT_WITHDRAWN
    return NO_CONSENT


def media_exclusion_reason(*, item: MediaItem, rules: ProfileRules, names_witnesses: bool, on=None) -> str:
    """Why `item` must stay out of a packet under `rules`, or "" if it may go in."""
    if item.withdrawn_at is not None:
        return str(WITHDRAWN)
    if item.processing_state == ProcessingState.QUARANTINED:
        return str(QUARANTINED)
    if item.verification_status == VerificationStatus.REJECTED:
        return str(REJECTED)
    witness = media_witness(item)
    if witness is not None:
        if disclosure(witness=witness, rules=rules, names_witnesses=names_witnesses, on=on) == Disclosure.WITHHOLD:
            return str(withheld_reason(witness=witness, rules=rules, on=on))
    elif item.source == MediaSource.WITNESS and not rules.admits_unattributed_witness_media:
        # Nobody's consent can be checked for it.
        return str(UNATTRIBUTED_WITNESS_MEDIA)
    if not rules.include_originals:
        if item.kind != "photo":
            return str(NOT_A_PHOTO)
        # A copy is made only from a file that decoded completely when it was processed.
        if item.processing_state != ProcessingState.DONE:
            return str(NOT_PROCESSED)
    return ""


def shows_source_url(*, item: MediaItem, rules: ProfileRules) -> bool:
    if rules.shows_witness_source_urls:
        return True
    return not (item.source == MediaSource.WITNESS or item.witness_id is not None or item.testimony_id is not None)


def staff_label(*, username: str, role: str | None, rules: ProfileRules) -> str:
    """A staff member as the packet shows them: the username, or for a packet without usernames their role."""
    if rules.shows_staff_usernames:
        return username
    return str(ROLE_TITLES.get(role, STAFF_MEMBER))


def covers(*, carried: str, now: Disclosure) -> bool:
    """Whether a disclosure computed now still covers what a packet carries under `carried`."""
    if now == Disclosure.WITHHOLD:
        return False
    return carried != Disclosure.NAME or now == Disclosure.NAME


def consent_lapse_day(*, witness: Witness, rules: ProfileRules) -> datetime.date | None:
    return consent_ended_on(witness=witness, scope=rules.consent_scope)


# Captures of online sources. A packet that carries originals carries every artefact of a capture (the WARC,
# screenshot, rendered text, media information, manifest and timestamp token); one that does not (public)
# carries the screenshot and the timestamp only: the WARC and text hold the page's raw content and headers, the
# manifest staff usernames.
ALL_CAPTURE_ARTEFACTS = ("warc", "screenshot", "text", "info", "manifest", "timestamp")
PUBLISHABLE_CAPTURE_ARTEFACTS = ("screenshot", "timestamp")
# Reasons about the form of a media file, not about consent: they do not keep its capture's screenshot out.
_FORMAT_REASONS = (NOT_A_PHOTO, NOT_PROCESSED)


def capture_artefact_kinds(rules: ProfileRules) -> tuple[str, ...]:
    return ALL_CAPTURE_ARTEFACTS if rules.include_originals else PUBLISHABLE_CAPTURE_ARTEFACTS


def capture_exclusion_reason(*, capture, rules: ProfileRules, names_witnesses: bool, on=None) -> str:
    """Why a capture stays out of a packet under `rules`, or "": its media item's own withdrawal, quarantine,
    rejection or witness consent decides for the whole capture (a screenshot shows what the media shows)."""
    if capture.media_item is None:
        return ""
    reason = media_exclusion_reason(item=capture.media_item, rules=rules, names_witnesses=names_witnesses, on=on)
    return "" if reason in {str(format_reason) for format_reason in _FORMAT_REASONS} else reason
