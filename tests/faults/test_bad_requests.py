"""Hostile request bodies get a clear 400, never a server error."""

import pytest

from casework.parsers import MAX_JSON_DEPTH


def incidents_url(case) -> str:
    return f"/api/cases/{case.reference}/incidents/"


@pytest.mark.django_db
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
def test_deeply_nested_json_is_refused_with_400(api, case, intake_worker, depth):
    api.force_authenticate(intake_worker)
    body = '{"title": ' + "[" * depth + "]" * depth + "}"
    response = api.post(incidents_url(case), body, content_type="application/json")
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


@pytest.mark.django_db
def test_json_nested_within_the_limit_is_read_normally(api, case, intake_worker):
    api.force_authenticate(intake_worker)
    body = '{"title": ' + "[" * 10 + "]" * 10 + "}"
    response = api.post(incidents_url(case), body, content_type="application/json")
    assert response.status_code == 400
    assert "nested" not in str(response.json())
