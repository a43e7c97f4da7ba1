"""The columns of the spreadsheet and how a cell is written, shared by reading and export."""

import re

from casework.incidents.models import (
    AgeBand,
    AttributionConfidence,
    CombatantStatus,
    DatePrecision,
    FacilityType,
    Governorate,
    IncidentType,
    Occupation,
    Party,
    Sex,
    VictimStatus,
    WeaponType,
)

INCIDENT_COLUMNS = [
    "incident_reference", "incident_title", "incident_date", "date_precision", "governorate", "district",
    "locality", "latitude", "longitude", "incident_type", "weapons", "facilities_hit",
]  # fmt: skip
# One attribution of the incident (who is held responsible) per row. An incident held on several parties lists
# each on a row of its own, among its rows (a row with the victim cells empty may carry one); a party named on
# several rows of an incident must have the same confidence and basis there.
ATTRIBUTION_COLUMNS = ["perpetrator_party", "attribution_confidence", "attribution_basis"]
# "source": who reported the person (a witness, a hospital list, a partner's spreadsheet); blank takes the
# source named for the whole import, if any.
VICTIM_COLUMNS = [
    "victim_name", "sex", "age", "age_band", "civilian_status", "victim_status", "occupation", "notes", "source",
]  # fmt: skip
COLUMNS = INCIDENT_COLUMNS + ATTRIBUTION_COLUMNS + VICTIM_COLUMNS
LIST_SEPARATOR = ";"
BOM = "\ufeff"
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_AGE = 130
# A new incident cannot be created without these (the model has no default for them).
REQUIRED_FOR_NEW_INCIDENT = ["incident_title", "incident_date", "governorate", "incident_type"]
TEXT_LENGTHS = {
    "incident_reference": 40, "incident_title": 300, "district": 200, "locality": 200, "victim_name": 300,
    "notes": None, "attribution_basis": None, "source": 200,
}  # fmt: skip
CHOICE_COLUMNS = {
    "date_precision": DatePrecision,
    "sex": Sex,
    "age_band": AgeBand,
    "civilian_status": CombatantStatus,
    "victim_status": VictimStatus,
    "attribution_confidence": AttributionConfidence,
}
VOCABULARY_COLUMNS = {
    "governorate": Governorate,
    "incident_type": IncidentType,
    "weapons": WeaponType,
    "facilities_hit": FacilityType,
    "occupation": Occupation,
    "perpetrator_party": Party,
}
LIST_COLUMNS = {"weapons", "facilities_hit"}
# Where a blank victim cell takes the model's default, as the web form does when a field is left alone.
VICTIM_DEFAULTS = {"sex": Sex.UNKNOWN, "age_band": AgeBand.UNKNOWN, "civilian_status": CombatantStatus.CIVILIAN}
# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection); export
# prefixes such text with an apostrophe and import removes it again, so text round-trips unchanged.
FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")
ESCAPED_FORMULA_START = re.compile(r"^'+[=+\-@\t\r]")
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
WHOLE_NUMBER = re.compile(r"^\d+$")
