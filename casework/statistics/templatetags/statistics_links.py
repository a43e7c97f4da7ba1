from django import template
from django.http import QueryDict
from django.urls import reverse
from django.utils.html import format_html

from casework.statistics.selectors import Figure

register = template.Library()


def figure_query(filter_query: QueryDict, figure: Figure) -> str:
    """The GET parameters of the records behind a figure: the page's filters, the measure and the breakdown."""
    query = filter_query.copy()
    query["measure"] = figure.measure
    for key, value in figure.breakdown.items():
        query[key] = value
    return query.urlencode()


@register.simple_tag(takes_context=True)
def records_url(context, figure: Figure) -> str:
    return f"{reverse('statistics:records')}?{figure_query(context['filter_query'], figure)}"


@register.simple_tag(takes_context=True)
def figure_link(context, figure: Figure):
    """The figure as a link to the list of records behind it."""
    return format_html('<a href="{}">{}</a>', records_url(context, figure), figure.value)


@register.filter
def share_of(value: int, maximum: int) -> int:
    """Percentage of the largest value, for a CSS bar."""
    return round(100 * value / maximum) if maximum else 0


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key)
