"""Repeated failed sign-ins lock out that username from that address for a while (django-axes)."""

import pytest
from django.urls import reverse

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_too_many_failures_lock_the_account_out_even_with_the_right_password(client, intake_worker, analyst, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("login"), {"username": "intake_worker", "password": "guess"})
        assert response.status_code == 200 and "correct username and password" in response.content.decode()
    # The failure that reaches the limit locks the pair out.
    assert client.post(reverse("login"), {"username": "intake_worker", "password": "guess"}).status_code == 429
    locked = client.post(reverse("login"), {"username": "intake_worker", "password": TEST_PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    other = client.post(reverse("login"), {"username": "analyst", "password": TEST_PASSWORD})
    assert other.status_code == 302  # another account is not affected


def test_a_success_before_the_limit_resets_the_count(client, intake_worker, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("login"), {"username": "intake_worker", "password": "guess"})
    assert client.post(reverse("login"), {"username": "intake_worker", "password": TEST_PASSWORD}).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("login"), {"username": "intake_worker", "password": "guess"})
    assert client.post(reverse("login"), {"username": "intake_worker", "password": TEST_PASSWORD}).status_code == 302
