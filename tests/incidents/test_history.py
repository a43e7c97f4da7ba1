"""Edits keep a revision history that staff can read (django-simple-history)."""

import pytest
from django.urls import reverse

from tests.factories import IncidentFactory, TestimonyFactory, VictimFactory, WitnessFactory

pytestmark = pytest.mark.django_db


def test_editing_an_incident_keeps_the_earlier_version_readable_in_admin(client, superuser, case):
    incident = IncidentFactory(case=case, title="First draft title")
    incident.title = "Corrected title"
    incident.save()
    assert [h.title for h in incident.history.order_by("history_date")] == [
        "First draft title",
        "Corrected title",
    ]
    client.force_login(superuser)
    response = client.get(reverse("admin:incidents_incident_history", args=[incident.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Corrected title" in page and "First draft title" in page, "both versions are listed"


def test_victims_witnesses_and_testimonies_keep_history(case):
    victim = VictimFactory(incident=IncidentFactory(case=case), age=30)
    victim.age = 31
    victim.save()
    witness = WitnessFactory(case=case, real_name="Secret Person")
    witness.risk_level = "critical"
    witness.save()
    testimony = TestimonyFactory(case=case)
    testimony.original_text = "نص مصحح"
    testimony.save()
    assert victim.history.count() == 2 and witness.history.count() == 2 and testimony.history.count() == 2
    # The identity is never copied into the history table, not even encrypted.
    assert not hasattr(witness.history.first(), "real_name")
