"""One row's cells turned into values: choices and vocabulary terms matched, dates, numbers, attributions."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Model
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casework.cases.models import Case
from casework.incidents.models import ADULT_AGE, Victim, VictimSourceKind, age_contradicts_band
from casework.incidents.tabular.columns import (
    ATTRIBUTION_COLUMNS,
    CHOICE_COLUMNS,
    DATE_ONLY,
    ESCAPED_FORMULA_START,
    INCIDENT_COLUMNS,
    LIST_COLUMNS,
    LIST_SEPARATOR,
    MAX_AGE,
    TEXT_LENGTHS,
    VICTIM_COLUMNS,
    VICTIM_DEFAULTS,
    VOCABULARY_COLUMNS,
    WHOLE_NUMBER,
)
from casework.incidents.tabular.report import ImportReport, PlannedAttribution, PlannedIncident
from casework.text import normalise_for_matching


class _Vocabulary:
    """The terms of one vocabulary a case may use, found by code, English name or Arabic name."""

    def __init__(self, model: type[Model], case: Case):
        self.model = model
        terms = list(model.objects.available_for(case))
        self.by_key: dict[str, Model] = {}
        shared_first = sorted(terms, key=lambda term: term.case_id is not None)
        # Later entries win: a code over a name, a case's own term over a shared one.
        for term in shared_first:
            for name in (term.name, term.name_ar):
                if name:
                    self.by_key[normalise_for_matching(name)] = term
        for term in shared_first:
            self.by_key[normalise_for_matching(term.code)] = term

    def find(self, text: str) -> Model | None:
        return self.by_key.get(normalise_for_matching(text))


def _choice_lookup(choices) -> dict[str, str]:
    """Codes, and the labels in English and Arabic, to the stored value."""
    lookup = {}
    for language in ("ar", "en"):
        with translation.override(language):
            for value, label in choices.choices:
                lookup[normalise_for_matching(str(label))] = value
    for value in choices.values:
        lookup[normalise_for_matching(value)] = value
    return lookup


class RowParser:
    """Turns the cells of a row into values, reporting what is wrong with each cell."""

    def __init__(self, case: Case):
        self.vocabularies = {column: _Vocabulary(model, case) for column, model in VOCABULARY_COLUMNS.items()}
        self.choices = {column: _choice_lookup(choices) for column, choices in CHOICE_COLUMNS.items()}

    def parse_row(
        self, row: int, record: dict[str, str], plans: dict[str, PlannedIncident], report: ImportReport
    ) -> None:
        if not record["incident_reference"]:
            report.add(row, "incident_reference", _("Required on every row."))
            return
        reference = self.text(row, "incident_reference", record, report)
        if not reference:
            return
        plan = plans.get(reference)
        if plan is None:
            plan = plans[reference] = PlannedIncident(reference=reference, first_row=row)

        values, invalid = self.incident_values(row, record, report)
        plan.invalid_columns |= invalid
        for column, (value, text) in values.items():
            if column not in plan.values:
                plan.values[column] = (value, text, row)
                continue
            earlier_value, earlier_text, earlier_row = plan.values[column]
            if not same_value(column, earlier_value, value):
                report.add(
                    row,
                    column,
                    _(
                        "Incident %(reference)s has “%(other)s” here on row %(other_row)s; every row of an "
                        "incident must agree (or leave the cell blank)."
                    )
                    % {"reference": reference, "other": earlier_text, "other_row": earlier_row},
                )
            elif column == "incident_date" and isinstance(value, datetime):
                # A date and a date-time on that date agree; the more precise one is kept.
                plan.values[column] = (value, text, row)

        if any(record.get(column) for column in ATTRIBUTION_COLUMNS):
            attribution = self.attribution(row, record, report)
            if attribution is not None:
                add_attribution(plan, attribution, report)

        if any(record.get(column) for column in VICTIM_COLUMNS):
            victim = self.victim(row, record, report)
            if victim is not None:
                plan.victims.append(victim)
                plan.victim_rows.append(row)

    def attribution(self, row: int, record: dict[str, str], report: ImportReport) -> PlannedAttribution | None:
        """The attribution the row's attribution cells give, or None (with the problems reported)."""
        count = len(report.problems)
        party_text, confidence_text = record.get("perpetrator_party", ""), record.get("attribution_confidence", "")
        basis = self.text(row, "attribution_basis", record, report)
        if not party_text:
            report.add(
                row,
                "perpetrator_party",
                _("Name the perpetrator party that this attribution confidence and basis are about."),
            )
            return None
        party = self.term(row, "perpetrator_party", party_text, report)
        confidence = None
        for column, text in (("attribution_confidence", confidence_text), ("attribution_basis", basis)):
            if not text:
                report.add(row, column, _("Required when the row names a perpetrator party."))
        if confidence_text:
            confidence = self.choice(row, "attribution_confidence", confidence_text, report)
        if len(report.problems) > count:
            return None
        return PlannedAttribution(party=party, confidence=confidence, basis=basis, row=row)

    def text(self, row: int, column: str, record: dict[str, str], report: ImportReport) -> str:
        value = record.get(column, "")
        if ESCAPED_FORMULA_START.match(value):
            value = value[1:]
        limit = TEXT_LENGTHS.get(column)
        if limit is not None and len(value) > limit:
            report.add(row, column, _("At most %(limit)s characters (this has %(length)s).") % {
                "limit": limit, "length": len(value)
            })  # fmt: skip
            return ""
        return value

    def choice(self, row: int, column: str, text: str, report: ImportReport) -> str | None:
        value = self.choices[column].get(normalise_for_matching(text))
        if value is None:
            report.add(
                row,
                column,
                _("“%(value)s” is not allowed here; use one of: %(allowed)s.")
                % {"value": text, "allowed": ", ".join(CHOICE_COLUMNS[column].values)},
            )
        return value

    def term(self, row: int, column: str, text: str, report: ImportReport) -> Model | None:
        vocabulary = self.vocabularies[column]
        term = vocabulary.find(text)
        if term is None:
            report.add(row, column, self.unknown_term_message(vocabulary, [text]))
        return term

    @staticmethod
    def unknown_term_message(vocabulary: _Vocabulary, texts: list[str]) -> str:
        return _("Not a %(vocabulary)s of this case: %(values)s. Use a code, English name or Arabic name.") % {
            "vocabulary": vocabulary.model._meta.verbose_name,
            "values": ", ".join(f"“{text}”" for text in texts),
        }

    def terms(self, row: int, column: str, text: str, report: ImportReport) -> frozenset | None:
        vocabulary = self.vocabularies[column]
        found, unknown = set(), []
        for piece in text.split(LIST_SEPARATOR):
            if piece.strip():
                term = vocabulary.find(piece)
                if term is None:
                    unknown.append(piece.strip())
                else:
                    found.add(term)
        if unknown:
            report.add(row, column, self.unknown_term_message(vocabulary, unknown))
            return None
        return frozenset(found) if found else None

    def incident_values(
        self, row: int, record: dict[str, str], report: ImportReport
    ) -> tuple[dict[str, tuple[Any, str]], set[str]]:
        """The incident cells this row gives (blank ones left out), and the columns whose cell is invalid."""
        values: dict[str, tuple[Any, str]] = {}
        invalid: set[str] = set()
        for column in INCIDENT_COLUMNS[1:]:
            text = record.get(column, "")
            if not text:
                continue
            count = len(report.problems)
            if column in ("incident_title", "district", "locality"):
                value: Any = self.text(row, column, record, report) or None
            elif column == "incident_date":
                value = _parse_date(row, text, report)
            elif column in CHOICE_COLUMNS:
                value = self.choice(row, column, text, report)
            elif column in LIST_COLUMNS:
                value = self.terms(row, column, text, report)
            elif column in VOCABULARY_COLUMNS:
                value = self.term(row, column, text, report)
            else:  # latitude, longitude
                value = _parse_coordinate(row, column, text, report)
            if len(report.problems) > count:
                invalid.add(column)
            elif value is not None:
                values[column] = (value, text)

        has_latitude, has_longitude = bool(record.get("latitude")), bool(record.get("longitude"))
        if has_latitude != has_longitude:
            missing = "longitude" if has_latitude else "latitude"
            report.add(row, missing, _("Give both latitude and longitude, or neither."))
            values.pop("latitude", None)
            values.pop("longitude", None)
        return values, invalid

    def victim(self, row: int, record: dict[str, str], report: ImportReport) -> Victim | None:
        count = len(report.problems)
        victim = Victim(
            name=self.text(row, "victim_name", record, report),
            notes=self.text(row, "notes", record, report),
            source_name=self.text(row, "source", record, report),
            source_kind=VictimSourceKind.IMPORT,
            source_row=row,
        )
        for column, attribute in (
            ("sex", "sex"), ("age_band", "age_band"), ("civilian_status", "combatant_status"),
            ("victim_status", "status"),
        ):  # fmt: skip
            text = record.get(column, "")
            if text:
                setattr(victim, attribute, self.choice(row, column, text, report))
            elif column == "victim_status":
                report.add(row, column, _("Required when the row describes a victim."))
            else:
                setattr(victim, attribute, VICTIM_DEFAULTS[column])
        age_text = record.get("age", "")
        if age_text:
            if not WHOLE_NUMBER.match(age_text):
                report.add(row, "age", _("“%(value)s” is not an age in whole years.") % {"value": age_text})
            elif int(age_text) > MAX_AGE:
                report.add(row, "age", _("An age over %(max)s is not plausible.") % {"max": MAX_AGE})
            else:
                victim.age = int(age_text)
                band = victim.age_band
                if age_contradicts_band(victim.age, band):
                    report.add(
                        row,
                        "age_band",
                        _("Age %(age)s contradicts the age band “%(band)s”: a child is under %(adult_age)s.")
                        % {"age": victim.age, "band": band, "adult_age": ADULT_AGE},
                    )
        if record.get("occupation"):
            victim.occupation = self.term(row, "occupation", record["occupation"], report)
        return victim if len(report.problems) == count else None


def _parse_date(row: int, text: str, report: ImportReport) -> date | datetime | None:
    """A date (YYYY-MM-DD) or an ISO date-time; one without a UTC offset is in the server's time zone."""
    try:
        if DATE_ONLY.match(text):
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment
    except ValueError:
        report.add(
            row,
            "incident_date",
            _("“%(value)s” is not a date; write YYYY-MM-DD or an ISO date-time such as 2017-09-15T14:30.")
            % {"value": text},
        )
        return None


def _parse_coordinate(row: int, column: str, text: str, report: ImportReport) -> Decimal | None:
    limit = 90 if column == "latitude" else 180
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        report.add(row, column, _("“%(value)s” is not a number.") % {"value": text})
        return None
    if not -limit <= value <= limit:
        report.add(row, column, _("Must be between -%(limit)s and %(limit)s.") % {"limit": limit})
        return None
    return value.quantize(Decimal("0.000001"))


def same_value(column: str, first: Any, second: Any) -> bool:
    if column == "incident_date":
        return _dates_agree(first, second)
    return first == second


def _dates_agree(first: date | datetime, second: date | datetime) -> bool:
    """Two date-times agree if equal; a date agrees with a date-time on that (local) day."""
    first_is_moment, second_is_moment = isinstance(first, datetime), isinstance(second, datetime)
    if first_is_moment and second_is_moment:
        return first == second
    if first_is_moment:
        first = timezone.localtime(first).date()
    if second_is_moment:
        second = timezone.localtime(second).date()
    return first == second


def add_attribution(plan: PlannedIncident, attribution: PlannedAttribution, report: ImportReport) -> None:
    """One attribution per party: the same party again on another row of the incident must say the same."""
    earlier = plan.attributions.get(attribution.party.pk)
    if earlier is None:
        plan.attributions[attribution.party.pk] = attribution
    elif not earlier.agrees_with(attribution):
        report.add(
            attribution.row,
            "perpetrator_party",
            _(
                "Incident %(reference)s is attributed to %(party)s on row %(other_row)s with another confidence "
                "or basis; one party is held responsible once per incident, so the rows must agree."
            )
            % {"reference": plan.reference, "party": attribution.party, "other_row": earlier.row},
        )
