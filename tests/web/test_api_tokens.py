"""API tokens (django-rest-knox): only a hash is stored, they expire, their owner lists and revokes them, and a
person who uses a second factor gets one only from a session that entered a code."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from casework.audit.models import AuditEvent
from casework.errors import Refused
from casework.web import services
from casework.web.models import ApiToken

pytestmark = pytest.mark.django_db


def database_values_containing(text: str) -> list[str]:
    """The tables any of whose values, read as text, contain `text`."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            if any(text in str(value) for row in cursor.fetchall() for value in row):
                found.append(table)
    return found


def token_client(text: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {text}")
    return api


def session_client(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def new_token(user, name: str = "script") -> str:
    return services.api_token_create(owner=user, name=name, second_factor_verified=True).text


@pytest.fixture
def totp_device(analyst, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    return TOTPDevice.objects.create(user=analyst, name="Authenticator app", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def test_created_token_signs_in_and_its_text_is_stored_nowhere(analyst, case):
    response = session_client(analyst).post(reverse("api:token_list"), {"name": "R script"}, format="json")
    assert response.status_code == 201
    text = response.json()["token"]
    assert set(response.json()) == {"id", "name", "created", "expiry", "last_used_at", "token"}
    cases = token_client(text).get(reverse("api:case_list"))
    assert cases.status_code == 200 and [row["reference"] for row in cases.json()["results"]] == [case.reference]
    assert database_values_containing(text) == []
    assert ApiToken.objects.get().digest != text
    assert AuditEvent.objects.filter(action="api_token_created", actor=analyst).count() == 1


def test_token_expires_after_the_configured_hours(analyst, settings):
    text = new_token(analyst)
    token = ApiToken.objects.get()
    assert abs(token.expiry - (timezone.now() + timedelta(hours=settings.CASEWORK_API_TOKEN_TTL_HOURS))) < timedelta(
        minutes=1
    )
    assert token_client(text).get(reverse("api:case_list")).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    expired = token_client(text).get(reverse("api:case_list"))
    assert expired.status_code == 401 and expired["WWW-Authenticate"] == "Token"


def test_an_expired_token_is_deleted_when_it_is_tried(analyst):
    text = new_token(analyst)
    ApiToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    assert token_client(text).get(reverse("api:case_list")).status_code == 401
    assert not ApiToken.objects.exists()


def test_the_owners_other_expired_tokens_are_deleted_when_a_token_is_used(analyst, reviewer):
    text = new_token(analyst, name="in use")
    new_token(analyst, name="forgotten")
    new_token(reviewer, name="someone else's")
    ApiToken.objects.exclude(name="in use").update(expiry=timezone.now() - timedelta(seconds=1))
    assert token_client(text).get(reverse("api:case_list")).status_code == 200
    assert sorted(ApiToken.objects.values_list("name", flat=True)) == ["in use", "someone else's"]


def test_a_token_in_use_is_checked_in_one_query(analyst):
    """A script sending many requests (a resumable upload's pieces) pays for one token query each, once the
    token's last use has been written (at most once a minute)."""
    text = new_token(analyst)
    api = token_client(text)
    assert api.get(reverse("api:token_list")).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert api.get(reverse("api:token_list")).status_code == 200
    token_queries = [query["sql"] for query in queries.captured_queries if "web_apitoken" in query["sql"]]
    # The check itself, then the list the page shows.
    assert len(token_queries) == 2 and "ORDER BY" not in token_queries[0]


def test_a_token_with_bytes_that_are_not_text_is_refused():
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token caf\xe9")
    assert api.get(reverse("api:case_list")).status_code == 401


def test_default_lifetime_is_thirty_days(settings):
    assert settings.CASEWORK_API_TOKEN_TTL_HOURS == 720


def test_revoked_token_is_refused_at_once(analyst):
    text = new_token(analyst)
    token_id = ApiToken.objects.get().pk
    owner = session_client(analyst)
    assert owner.delete(reverse("api:token_detail", args=[token_id])).status_code == 204
    assert token_client(text).get(reverse("api:case_list")).status_code == 401
    assert AuditEvent.objects.filter(action="api_token_revoked", actor=analyst).count() == 1


def test_revoking_on_the_account_page(client, analyst):
    text = new_token(analyst, name="old laptop")
    client.force_login(analyst)
    page = client.get(reverse("two_factor_setup")).content.decode()
    assert "old laptop" in page and text not in page
    token_id = ApiToken.objects.get().pk
    response = client.post(reverse("api_token_revoke", args=[token_id]))
    assert response.status_code == 302
    assert not ApiToken.objects.exists()
    assert token_client(text).get(reverse("api:case_list")).status_code == 401


def test_account_page_creates_a_token_and_shows_it_once(client, analyst):
    client.force_login(analyst)
    response = client.post(reverse("api_token_create"), {"name": "nightly export"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    text = response.context["text"]
    assert text in response.content.decode()
    assert token_client(text).get(reverse("api:case_list")).status_code == 200
    listed = client.get(reverse("two_factor_setup")).content.decode()
    assert "nightly export" in listed and text not in listed


def test_list_shows_dates_and_last_use_never_the_token(analyst):
    text = new_token(analyst, name="laptop")
    assert token_client(text).get(reverse("api:case_list")).status_code == 200
    listed = session_client(analyst).get(reverse("api:token_list"))
    (row,) = listed.json()
    assert row["name"] == "laptop" and row["created"] and row["expiry"] and row["last_used_at"]
    assert text not in listed.content.decode() and ApiToken.objects.get().digest not in listed.content.decode()


def test_one_owner_cannot_list_or_revoke_anothers_tokens(client, analyst, reviewer):
    text = new_token(analyst, name="analyst's token")
    token_id = ApiToken.objects.get().pk
    other = session_client(reviewer)
    assert other.get(reverse("api:token_list")).json() == []
    assert other.get(reverse("api:token_detail", args=[token_id])).status_code == 404
    assert other.delete(reverse("api:token_detail", args=[token_id])).status_code == 404
    client.force_login(reviewer)
    assert "analyst's token" not in client.get(reverse("two_factor_setup")).content.decode()
    assert client.post(reverse("api_token_revoke", args=[token_id])).status_code == 404
    assert token_client(text).get(reverse("api:case_list")).status_code == 200


def test_a_token_cannot_create_tokens(analyst):
    response = token_client(new_token(analyst)).post(reverse("api:token_list"), {"name": "more"}, format="json")
    assert response.status_code == 403
    assert ApiToken.objects.count() == 1


def test_second_factor_user_gets_a_token_only_after_entering_a_code(client, analyst, totp_device):
    client.force_login(analyst)
    # Password only: the page and the API both send the person to the code first, and no token is made.
    page = client.post(reverse("api_token_create"), {"name": "x"})
    assert page.status_code == 302 and page["Location"].startswith(reverse("two_factor_verify"))
    api = client.post(reverse("api:token_list"), {"name": "x"}, content_type="application/json")
    assert api.status_code == 302 and api["Location"].startswith(reverse("two_factor_verify"))
    assert not ApiToken.objects.exists()
    # The service refuses too, whatever door calls it.
    with pytest.raises(Refused):
        services.api_token_create(owner=analyst, name="x", second_factor_verified=False)
    assert not ApiToken.objects.exists()

    assert client.post(reverse("two_factor_verify"), {"token": current_code(totp_device)}).status_code == 302
    created = client.post(reverse("api:token_list"), {"name": "after code"}, content_type="application/json")
    assert created.status_code == 201
    assert token_client(created.json()["token"]).get(reverse("api:case_list")).status_code == 200


def test_management_command_prints_a_working_token(analyst, capsys):
    call_command("create_api_token", "analyst", "--name", "cron")
    text = capsys.readouterr().out.strip()
    assert ApiToken.objects.get().name == "cron"
    assert token_client(text).get(reverse("api:case_list")).status_code == 200


def test_anonymous_and_bad_tokens_are_refused(analyst):
    assert APIClient().get(reverse("api:token_list")).status_code == 401
    assert token_client("0" * 64).get(reverse("api:case_list")).status_code == 401
