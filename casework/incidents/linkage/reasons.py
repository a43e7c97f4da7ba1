"""The reasons of a candidate pair in words (the scoring stores codes and details, a page words them in the
reader's language)."""

from django.utils.translation import gettext_lazy as _

# code -> (words with %(detail)s where the detail belongs, agrees: True, False or None when neither)
REASONS = {
    "name_missing": (_("A name is missing"), False),
    "name_parts": (_("Name parts found in both: %(detail)s"), True),
    "spelling": (_("Spelled differently: %(detail)s"), None),
    "given_name_same": (_("Same given name (%(detail)s)"), True),
    "given_name_differs": (_("Given names differ (%(detail)s)"), False),
    "third_part_role": (_("Third name parts differ, perhaps a grandfather's and a family name (%(detail)s)"), None),
    "part_role_differs": (
        _("Same name in another place of the chain, e.g. a father's and a grandfather's (%(detail)s)"),
        False,
    ),
    "order_differs": (_("Name parts in another order"), None),
    "one_part_name": (_("Only one part of the name known"), None),
    "sex_same": (_("Same sex"), True),
    "sex_differs": (_("Sex differs (%(detail)s)"), False),
    "age_close": (_("Ages %(detail)s years apart"), True),
    "age_apart": (_("Ages %(detail)s years apart"), False),
    "age_band_same": (_("Same age band"), True),
    "age_band_differs": (_("Age bands differ (%(detail)s)"), False),
    "same_day": (_("Died the same day"), True),
    "days_apart": (_("Dates of death %(detail)s days apart"), None),
    "same_governorate": (_("Same governorate"), True),
    "governorate_differs": (_("Governorates differ"), False),
    "same_locality": (_("Same locality"), True),
    "locality_differs": (_("Localities differ (%(detail)s)"), False),
}


def reason_texts(reasons: list) -> list[tuple[str, bool | None]]:
    """[(words, agrees)] for the stored [[code, detail], ...] of a candidate; unknown codes left out."""
    worded = []
    for code, detail in reasons:
        if code in REASONS:
            words, agrees = REASONS[code]
            worded.append((str(words) % {"detail": detail} if "%(detail)s" in str(words) else str(words), agrees))
    return worded
