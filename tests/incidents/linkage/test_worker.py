"""The candidate search runs in the real worker: a reviewer's "search again" reaches it and the pairs appear."""

import pytest
from django.urls import reverse

from casework.incidents.models import LinkCandidate
from tests.conftest import wait_for
from tests.factories import CaseFactory, IncidentFactory, MembershipFactory, UserFactory, VictimFactory


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_finds_the_candidates_a_reviewer_asked_for(celery_worker_process, vocabularies, client):
    case = CaseFactory(reference="CW-0042")
    reviewer = UserFactory(username="l_reviewer")
    MembershipFactory(case=case, user=reviewer, role="reviewer")
    incident = IncidentFactory(case=case)
    VictimFactory(incident=incident, name="Mohammad Abdullah al-Hassan", source_name="Hospital list")
    VictimFactory(incident=incident, name="محمد عبد الله الحسن", source_name="Local council")
    client.force_login(reviewer)

    response = client.post(reverse("incidents:linkage_search", args=[case.reference]))

    assert response.status_code == 302
    found = wait_for(
        lambda: LinkCandidate.objects.filter(case=case).first(), timeout=60, what="the worker to find the pair"
    )
    assert found.score >= 0.8
