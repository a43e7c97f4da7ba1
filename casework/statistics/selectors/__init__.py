"""Statistics of tolls: the figures a report like SNHR's needs, and the exact records behind each figure.

Every figure is computed by the database (aggregate() or values().annotate()), in a fixed number of queries
whatever the number of records. Victims a reviewer linked as duplicates are always left out (`counted()`);
attribution filters are Exists subqueries, so no join ever multiplies a row. The summary never reads the
victims: it adds up the tolls each incident keeps (Incident.civilians_killed and the rest, and
IncidentOccupationToll), which the incident services write from the victims in the same transaction as every
victim change, so a figure is always exactly the count of its records. Without an attribution filter and with
dates on whole months, it adds up the monthly rollups instead (IncidentMonthRollup and its weapon, facility and
occupation rows), which every incident and victim write recounts in the same transaction.

Each figure carries its measure and breakdown: `records_behind(figure.measure, filters, **figure.breakdown)`
is exactly the set of records counted, which is what the "records" links of the page and the API show.
"""

from casework.statistics.selectors.filters import (
    StatisticsFilter,
    StatisticsFilterForm,
    default_massacre_min,
    statistics_cases,
    statistics_filter_form,
    vocabulary_labels,
)
from casework.statistics.selectors.records import (
    MEASURES,
    BadParameter,
    Measure,
    breakdown_from_params,
    merged_records,
    records_behind,
    with_cluster_sizes,
)
from casework.statistics.selectors.summary import Figure, Row, StatisticsSummary, statistics_summary

__all__ = [
    "merged_records",
    "with_cluster_sizes",
    "MEASURES",
    "BadParameter",
    "Figure",
    "Measure",
    "Row",
    "StatisticsFilter",
    "StatisticsFilterForm",
    "StatisticsSummary",
    "breakdown_from_params",
    "default_massacre_min",
    "records_behind",
    "statistics_cases",
    "statistics_filter_form",
    "statistics_summary",
    "vocabulary_labels",
]
