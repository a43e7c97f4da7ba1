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

    Reads consents in force on that day: given on or before it and not withdrawn by then.
    """
    day = on or timezone.localdate()
    consents = witness.consents.in_force(day).filter(scope=scope)
    if not consents.exists():
        return Disclosure.WITHHOLD
    if consents.filter(allows_name=True).exists():
        return Disclosure.NAME
    return Disclosure.PSEUDONYM
