"""What a check found (the report) and what an import would write (the planned incidents)."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from casework.incidents.models import Attribution, Incident, Party, Victim


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file. `row` is the spreadsheet's row number (the header is 1; 0 = the file)."""

    row: int
    column: str
    message: str


# The "column" of the problem that the file was imported before: the flag (API field, command option, page
# checkbox) that lets it be imported again.
REIMPORT = "allow_reimport"


@dataclass(frozen=True)
class EarlierImport:
    """A committed import of the same file (the same bytes) into the case."""

    imported_at: datetime
    imported_by: str  # the person (with their role on the case), or that the command line named no one
    file_name: str
    victims_added: int


@dataclass
class ImportReport:
    """What a check found, or what an import did. Nothing is written unless `committed`."""

    problems: list[Problem] = field(default_factory=list)
    rows: int = 0
    incidents_created: list[str] = field(default_factory=list)
    incidents_extended: list[str] = field(default_factory=list)
    victims_added: int = 0
    attributions_added: int = 0
    committed: bool = False
    sha256: str = ""  # of the file's bytes (of its UTF-8 text if given as text)
    imported_before: list[EarlierImport] = field(default_factory=list)  # newest first

    @property
    def is_valid(self) -> bool:
        return not self.problems

    @property
    def reimport_refused(self) -> bool:
        """Refused (also) because the file was imported before and importing it again was not confirmed."""
        return any(problem.column == REIMPORT for problem in self.problems)

    @property
    def problems_in_file(self) -> list[Problem]:
        """The problems a corrected file would fix: all but the refusal to import the same file again."""
        return [problem for problem in self.problems if problem.column != REIMPORT]

    def add(self, row: int, column: str, message: str) -> None:
        self.problems.append(Problem(row, column, message))

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.is_valid,
            "committed": self.committed,
            "rows": self.rows,
            "incidents_created": self.incidents_created,
            "incidents_extended": self.incidents_extended,
            "victims_added": self.victims_added,
            "attributions_added": self.attributions_added,
            "sha256": self.sha256,
            "imported_before": [
                {
                    "imported_at": earlier.imported_at,
                    "imported_by": earlier.imported_by,
                    "file_name": earlier.file_name,
                    "victims_added": earlier.victims_added,
                }
                for earlier in self.imported_before
            ],
            "problems": [{"row": p.row, "column": p.column, "message": p.message} for p in self.problems],
        }


@dataclass(frozen=True)
class PlannedAttribution:
    party: Party
    confidence: str
    basis: str
    row: int  # the first row that gives it

    def agrees_with(self, other: "PlannedAttribution | Attribution") -> bool:
        return (self.party.pk, self.confidence, self.basis) == (other.party.pk, other.confidence, other.basis)


@dataclass
class PlannedIncident:
    reference: str
    first_row: int
    # column -> (parsed value, cell text, row it came from)
    values: dict[str, tuple[Any, str, int]] = field(default_factory=dict)
    invalid_columns: set[str] = field(default_factory=set)
    existing: Incident | None = None
    victims: list[Victim] = field(default_factory=list)
    victim_rows: list[int] = field(default_factory=list)
    # party id -> the attribution, in the order of the rows
    attributions: dict[int, PlannedAttribution] = field(default_factory=dict)
