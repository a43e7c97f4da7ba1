"""Optional TOTP second factor: once enrolled, a code is needed after the password before anything else."""

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def current_code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the app shows now (or a step later: django-otp accepts one step of drift, never a replay)."""
    t0 = device.t0 - steps_ahead * device.step
    return f"{totp(device.bin_key, step=device.step, t0=t0, digits=device.digits):0{device.digits}d}"


def test_enrol_then_every_sign_in_needs_a_code(client, case_admin, case, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp slows retries after a wrong code; not what this test is about
    client.force_login(case_admin)
    assert "otpauth://totp/" in client.get(reverse("two_factor_setup")).content.decode()
    device = TOTPDevice.objects.get(user=case_admin)
    wrong = client.post(
        reverse("two_factor_setup"), {"token": "000000" if current_code(device) != "000000" else "111111"}
    )
    assert wrong.status_code == 400 and "That code is not right" in wrong.content.decode()
    assert client.post(reverse("two_factor_setup"), {"token": current_code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    client.logout()

    assert client.post(reverse("login"), {"username": "case_admin", "password": TEST_PASSWORD}).status_code == 302
    case_page = reverse("web:case_detail", args=[case.reference])
    blocked = client.get(case_page)
    assert blocked.status_code == 302 and blocked["Location"].startswith(reverse("two_factor_verify"))
    assert client.post(reverse("two_factor_verify"), {"token": "12"}).status_code == 400
    replay = client.post(reverse("two_factor_verify"), {"token": current_code(device), "next": case_page})
    assert replay.status_code == 400  # the code used to enrol cannot be used again
    verified = client.post(reverse("two_factor_verify"), {"token": current_code(device, 1), "next": case_page})
    assert verified.status_code == 302 and verified["Location"] == case_page
    assert client.get(case_page).status_code == 200


def test_people_without_a_device_are_not_asked_for_a_code(client, analyst, case):
    client.post(reverse("login"), {"username": "analyst", "password": TEST_PASSWORD})
    assert client.get(reverse("web:case_detail", args=[case.reference])).status_code == 200


def test_verify_page_does_not_redirect_elsewhere(client, case_admin):
    device = TOTPDevice.objects.create(user=case_admin, name="app", confirmed=True)
    client.force_login(case_admin)
    response = client.post(
        reverse("two_factor_verify"), {"token": current_code(device), "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
