"""Signing in and seeing one's cases and their incidents; outsiders see nothing of a case."""

import pytest
from django.urls import reverse

from tests.factories import TEST_PASSWORD, IncidentFactory

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_sign_in(client, case):
    response = client.get(reverse("web:case_detail", args=[case.reference]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_sign_in_then_home_lists_only_my_cases(client, intake_worker, case, other_case):
    response = client.post(reverse("login"), {"username": "intake_worker", "password": TEST_PASSWORD}, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert case.reference in body
    assert other_case.reference not in body


def test_wrong_password_keeps_the_username_and_says_so(client, intake_worker):
    response = client.post(reverse("login"), {"username": "intake_worker", "password": "wrong"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="intake_worker"' in body
    assert "correct username and password" in body


def test_case_page_lists_its_incidents_with_tolls(client, analyst, case):
    IncidentFactory(case=case, reference="INC-7", title="Strike on the bakery queue")
    client.force_login(analyst)
    response = client.get(reverse("web:case_detail", args=[case.reference]))
    assert response.status_code == 200
    assert "Strike on the bakery queue" in response.content.decode()


def test_outsider_gets_not_found_for_a_case_they_are_not_on(client, outsider, case):
    IncidentFactory(case=case, title="Secret incident title")
    client.force_login(outsider)
    response = client.get(reverse("web:case_detail", args=[case.reference]))
    assert response.status_code == 404
    assert b"Secret incident title" not in response.content


def test_arabic_pages_are_right_to_left(client, analyst, case):
    client.force_login(analyst)
    client.post(reverse("set_language"), {"language": "ar", "next": "/"})
    response = client.get(reverse("web:home"))
    assert b'dir="rtl"' in response.content and b'lang="ar"' in response.content
