"""Finding a case for a person (every case page and API request starts there): one query gives the case and
the person's role on its team, or tells an outsider nothing."""

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from casework.cases.selectors import case_get_for_user

pytestmark = pytest.mark.django_db


def test_the_case_and_the_persons_role_come_in_one_plain_query(case, analyst):
    with CaptureQueriesContext(connection) as queries:
        found = case_get_for_user(reference=case.reference, user=analyst)
    assert (found, found.viewer_role) == (case, "analyst")
    (query,) = queries.captured_queries
    # The membership's model ordering (by case, which orders by reference) would join the case table again.
    assert "JOIN" not in query["sql"] and query["sql"].count("ORDER BY") <= 1


def test_an_outsider_learns_nothing_and_a_superuser_sees_every_case(case, outsider, superuser):
    with pytest.raises(Http404):
        case_get_for_user(reference=case.reference, user=outsider)
    with pytest.raises(Http404):
        case_get_for_user(reference="CW-NOPE", user=superuser)
    found = case_get_for_user(reference=case.reference, user=superuser)
    assert found == case and found.viewer_role is None
