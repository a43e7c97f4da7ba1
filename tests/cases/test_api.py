"""The case list of the API shows only the cases a person is on, with their role."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_cases_visible_with_role(case, other_case, analyst, outsider, superuser):
    api = APIClient()
    api.force_authenticate(analyst)
    assert api.get("/api/cases/").json()["results"] == [
        {
            "reference": "CW-0042",
            "title": case.title,
            "description": "",
            "created_at": api.get("/api/cases/CW-0042/").json()["created_at"],
            "my_role": "analyst",
        }
    ]
    assert api.get("/api/cases/CW-0099/").status_code == 404
    api.force_authenticate(outsider)
    assert [row["reference"] for row in api.get("/api/cases/").json()["results"]] == ["CW-0099"]
    api.force_authenticate(superuser)
    assert [row["my_role"] for row in api.get("/api/cases/").json()["results"]] == [None, None]
    api.force_authenticate(None)
    assert api.get("/api/cases/").status_code in (401, 403)
