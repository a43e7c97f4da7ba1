"""Incidents and their victims as CSV, in the shape documentation groups keep in spreadsheets.

One row per victim, the incident's columns repeated on each row; a row whose victim columns are all empty
describes an incident with no victim. The same rules serve the import page, the API and the management
commands: `victims_csv_check` (dry run, writes nothing), `victims_csv_import` (all or nothing) and
`victims_csv_export` (the same shape, so export -> import into an empty case -> export is the same file).

Rows are numbered as a spreadsheet shows them: the header is row 1. Within a file, the rows of one incident
must agree on its columns; a blank incident cell means "as given elsewhere" (on another row, or on the
existing incident of that reference, which may get new victims but is never changed by an import).

Attributions (who is held responsible) take three columns, one party per row: an incident held on several
parties names each on a different row of the incident (beside a victim, or on a row with the victim cells
empty); the same party on more rows must have the same confidence and basis. The export puts the incident's
first attribution beside its first victim, and so on, adding rows when there are more attributions.

A committed import is recorded with the SHA-256 of the file; the same file again needs `allow_reimport`.
"""

from casework.incidents.tabular.columns import BOM, COLUMNS, LIST_SEPARATOR
from casework.incidents.tabular.export import (
    victims_csv_chunks,
    victims_csv_export,
    victims_csv_rows,
    victims_csv_template,
)
from casework.incidents.tabular.importing import victims_csv_check, victims_csv_import
from casework.incidents.tabular.report import REIMPORT, EarlierImport, ImportReport, Problem

__all__ = [
    "BOM",
    "COLUMNS",
    "LIST_SEPARATOR",
    "REIMPORT",
    "EarlierImport",
    "ImportReport",
    "Problem",
    "victims_csv_check",
    "victims_csv_chunks",
    "victims_csv_export",
    "victims_csv_import",
    "victims_csv_rows",
    "victims_csv_template",
]
