"""Reads for witnesses and testimonies: what a person may do with a record, asked in one place."""

from casework.cases import access
from casework.witnesses.models import Testimony


def testimony_actions(*, testimony: Testimony, user) -> dict[str, bool]:
    """Which review-workflow actions `user` may take on `testimony` now (for pages, the API and the admin).

    The services apply the same rules (Testimony.is_editable / is_submittable / is_reviewable / wrote_or_edited);
    this only saves offering a button that would be refused.
    """
    may_edit = user.has_perm(access.EDIT_RECORDS, testimony.case)
    may_review = user.has_perm(access.REVIEW, testimony.case)
    return {
        "can_edit": may_edit and testimony.is_editable(),
        "can_submit": may_edit and testimony.is_submittable(),
        "can_review": may_review and testimony.is_reviewable() and not testimony.wrote_or_edited(user),
    }
