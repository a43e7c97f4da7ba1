"""The demo case is realistic: several governorates, every victim category, Arabic testimonies, media."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Count

from casework.audit.models import AuditEvent
from casework.cases.models import Case
from casework.evidence.models import MediaItem
from casework.incidents.models import Incident, Victim
from casework.witnesses.models import Testimony, Witness

pytestmark = pytest.mark.django_db


def test_load_demo_builds_a_bilingual_case_and_can_run_twice(django_capture_on_commit_callbacks):
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    call_command("load_demo", stdout=out)
    assert "already loaded" in out.getvalue()
    assert "password casework-demo-2026" in out.getvalue()
    for account, role in (("demo-intake", "Intake / field researcher"), ("demo-analyst", "Analyst"),
                          ("demo-reviewer", "Reviewer")):  # fmt: skip
        assert any(account in line and role in line for line in out.getvalue().splitlines()), account
    # The team was put together through the membership service: audited, with who did it.
    assert AuditEvent.objects.filter(action="membership_added", actor__username="demo").count() == 4
    case = Case.objects.get(reference="CW-0042")
    assert Case.objects.count() == 1

    incidents = Incident.objects.filter(case=case)
    assert incidents.values("governorate").distinct().count() >= 4
    victims = Victim.objects.filter(incident__case=case)
    assert victims.filter(age__lt=18).exists() and victims.filter(sex="female", age__gte=18).exists()
    assert set(victims.values_list("status", flat=True)) == {"killed", "injured", "missing", "detained"}
    assert {"medical-personnel", "civil-defence", "media-worker"} <= set(
        victims.values_list("occupation__code", flat=True)
    )
    assert victims.filter(combatant_status="non_civilian").exists()
    assert incidents.filter(is_massacre=True).exists()
    assert incidents.annotate(n=Count("weapons")).filter(weapons__code="cluster-munition").exists()
    assert incidents.filter(weapons__code="incendiary").exists()

    witnesses = Witness.objects.filter(case=case)
    assert witnesses.count() >= 3 and all(w.pseudonym.startswith("W-") for w in witnesses)
    assert Testimony.objects.filter(case=case, language="ar").exists()
    assert "الطائرة" in Testimony.objects.filter(case=case, language="ar").first().original_text

    photos = MediaItem.objects.filter(case=case, kind="photo")
    assert photos.count() >= 5
    assert MediaItem.objects.filter(case=case, kind="video").exists()
