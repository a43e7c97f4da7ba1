"""What a witness agreed to share, decided in one place so exports and sharing cannot forget it.

A witness's testimony may leave the team only under a consent in force for that scope on that day; their
name only if that consent also allows the name. Internal team use needs internal consent.
"""

import datetime
from enum import StrEnum

from django.utils import timezone

from casework.witnesses.models import ConsentScope, Witness


class Disclosure(StrEnum):
    WITHHOLD = "withhold"  # nothing of this witness's account may be shared in this scope
    PSEUDONYM = "pseudonym"  # the account may be shared under the pseudonym only
    NAME = "name"  # the account may be shared with the witness's name


def witness_disclosure(*, witness: Witness, scope: ConsentScope | str, on: datetime.date | None = None) -> Disclosure:
    """How much of `witness` may be shared in `scope` on day `on` (today by default).

    Reads the newest consent in force for the scope on that day (given on or before it, neither withdrawn nor
    superseded by then); the name only if sharing it was confirmed by a case admin.
    """
    day = on or timezone.localdate()
    consent = witness.consents.in_force(day).filter(scope=scope).order_by("-given_on", "-recorded_at", "-pk").first()
    if consent is None:
        return Disclosure.WITHHOLD
    # A name consent recorded by intake staff shares nothing more than the pseudonym until a case admin confirms it.
    if consent.name_sharing_confirmed:
        return Disclosure.NAME
    return Disclosure.PSEUDONYM


def consent_ended_on(
    *, witness: Witness, scope: ConsentScope | str, on: datetime.date | None = None
) -> datetime.date | None:
    """The latest day by `on` (today) on which a consent of `witness` for `scope` stopped being in force
    (withdrawn, or superseded by a newer one), or None if none has ended. Read-only; for telling people
    why something that was shared may no longer be."""
    day = on or timezone.localdate()
    ended = []
    for withdrawn_on, superseded_on in witness.consents.filter(scope=scope, given_on__lte=day).values_list(
        "withdrawn_on", "superseded_on"
    ):
        ended += [end for end in (withdrawn_on, superseded_on) if end is not None and end <= day]
    return max(ended, default=None)
