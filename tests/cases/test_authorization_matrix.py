"""Every URL of the web UI, the API and the admin (found by introspecting the URLconf) for every kind of person.

A URL that is not described in EXPECTED fails the suite, so a new endpoint cannot be forgotten. No response
to anyone contains a witness's real name (revealing an identity is a separate, audited action).
"""

import io
import re

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from casework.bundles.services import bundle_build, bundle_request
from casework.captures.models import Capture, CaptureArtefact
from casework.evidence.models import CustodyEvent, MediaItem, NearDuplicate
from casework.evidence.resumable import upload_create
from casework.evidence.samples import jpeg_bytes
from casework.evidence.services import media_ingest_stream, media_process
from casework.notifications.models import Notification
from casework.search.services import saved_search_create
from casework.web.models import ApiToken
from casework.witnesses.models import Consent
from tests.factories import IncidentFactory, TestimonyFactory, VictimFactory, WitnessFactory
from tests.helpers import EXPECTED, OWN_ACCOUNT, PUBLIC, ROLES, all_routes, post_data, url_arguments, url_for

pytestmark = pytest.mark.django_db

CANARY_REAL_NAME = "Zaynab Canary-7f3a9"


def test_every_url_is_in_the_matrix():
    names = {name for route, name in all_routes() if not route.startswith("admin/")}
    assert names - set(EXPECTED) - PUBLIC - OWN_ACCOUNT == set(), "describe who may use these URLs in EXPECTED"


@pytest.fixture
def world(case, other_case, intake_worker, reviewer, analyst, case_admin, outsider, superuser):
    incident = IncidentFactory(case=case)
    witness = WitnessFactory(case=case, real_name=CANARY_REAL_NAME, phone="+963 999 111 222")
    testimony = TestimonyFactory(
        case=case, witness=witness, interviewer=intake_worker, created_by=intake_worker, status="submitted"
    )
    testimony.incidents.add(incident)
    item = media_ingest_stream(
        stream=io.BytesIO(jpeg_bytes(seed=90)),
        case=case,
        original_filename="w.jpg",
        source="witness",
        acquired_by=intake_worker,
        testimony=testimony,
    ).item
    media_process(item_id=item.pk)
    item.refresh_from_db()
    MediaItem.objects.filter(pk=item.pk).update(keyframes=[item.thumbnail.name])
    other = MediaItem.objects.create(
        case=case,
        original="originals/other",
        sha256="e" * 64,
        size_bytes=1,
        mime_type="image/jpeg",
        kind="photo",
        source="witness",
        acquired_at=item.acquired_at,
        acquired_by=intake_worker,
    )
    pair = NearDuplicate.objects.create(case=case, first=item, second=other, distance=2)
    bundle = bundle_request(
        case=case, scope="case", incidents=[], recipient="UN", profile="court", purpose="", actor=case_admin
    )
    bundle_build(bundle_id=bundle.pk)
    victim, other_victim = VictimFactory(incident=incident), VictimFactory(incident=incident)
    assert other_victim.pk == victim.pk + 1
    consent = Consent.objects.create(
        witness=witness, scope="internal", given_on="2024-01-01", method="written", allows_name=True
    )
    api_token, _text = ApiToken.objects.create(user=case_admin)
    capture = Capture.objects.create(case=case, url="https://example.org/post/1", requested_by=intake_worker)
    screenshot = default_storage.save(f"captures/{case.pk}/screenshot.png", ContentFile(b"\x89PNG\r\n\x1a\n"))
    CaptureArtefact.objects.create(capture=capture, kind="screenshot", file=screenshot, sha256="f" * 64, size_bytes=8)
    upload = upload_create(case_id=case.pk, user_id=intake_worker.pk, length=10, filename="w.jpg", details={})
    saved_search = saved_search_create(
        case=case, actor=case_admin, name="Market", parameters={"q": "market"}, shared=True
    )
    notification = Notification.objects.create(
        recipient=intake_worker, case=case, kind="processing_failed", media_item=item
    )
    people = {
        "intake": intake_worker,
        "reviewer": reviewer,
        "analyst": analyst,
        "case_admin": case_admin,
        "outsider": outsider,
        "superuser": superuser,
        "anonymous": None,
    }
    arguments = {
        "reference": case.reference,
        "incident_id": incident.pk,
        "witness_id": witness.pk,
        "testimony_id": testimony.pk,
        "item_id": item.pk,
        "pair_id": pair.pk,
        "keyframe": 0,
        "bundle_id": bundle.pk,
        "victim_id": victim.pk,
        "consent_id": consent.pk,
        "token_id": api_token.pk,
        "notification_id": notification.pk,
        "saved_id": saved_search.pk,
        "upload_id": upload.token,
        "capture_id": capture.pk,
        "kind": "screenshot",
        "user_id": intake_worker.pk,
        "sequence": CustodyEvent.objects.filter(case=case).values_list("sequence", flat=True).first(),
    }
    return people, arguments


def is_refusal(response, role: str) -> bool:
    if role == "anonymous":
        redirected_to_login = response.status_code == 302 and "/login/" in response["Location"]
        return redirected_to_login or response.status_code in (401, 403)
    return response.status_code in (403, 404)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_authorization_matrix(client, world, name, role):
    people, arguments = world
    method, allowed = EXPECTED[name]
    if people[role] is not None:
        client.force_login(people[role])
    url = url_for(name, arguments)
    response = client.get(url) if method == "GET" else client.post(url, post_data(name, arguments))
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert CANARY_REAL_NAME.encode() not in body
    if role in allowed:
        assert not is_refusal(response, role), f"{role} was refused {method} {url}: {response.status_code}"
    else:
        assert is_refusal(response, role), f"{role} got {response.status_code} for {method} {url}"
        if role == "outsider" and "reference" in url_arguments(name):
            assert response.status_code == 404, "outsiders must not even learn that the record exists"


ADMIN_MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.mark.parametrize("role", ROLES)
def test_admin_is_only_for_superusers_and_never_shows_identities(client, world, role):
    people, arguments = world
    if people[role] is not None:
        client.force_login(people[role])
    for model in ADMIN_MODELS:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        assert CANARY_REAL_NAME.encode() not in response.content
        if role == "superuser":
            assert response.status_code == 200, url
        else:
            assert response.status_code == 302 and "/admin/login/" in response["Location"], url
    witness_page = client.get(reverse("admin:witnesses_witness_change", args=[arguments["witness_id"]]))
    assert CANARY_REAL_NAME.encode() not in witness_page.content


# Headers and hostile URLs, for every URL above (and one's own account pages).

OWN_ACCOUNT_METHODS = {
    "two_factor_setup": "GET",
    "two_factor_verify": "GET",
    "api_token_create": "POST",
    "api_token_revoke": "POST",
    "api:token_list": "GET",
    "api:token_detail": "GET",
}
SIGNED_IN_REQUESTS = sorted({name: method for name, (method, _allowed) in EXPECTED.items()} | OWN_ACCOUNT_METHODS)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER_OR_STYLE = re.compile(r"<[a-z][^>]*\s(on[a-z]+|style)\s*=", re.IGNORECASE)


def policy(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


def assert_strict_policy(header: str) -> None:
    """Scripts and styles from this site's files only: no inline code, no eval, no other origin."""
    directives = policy(header)
    for directive in ("script-src", "style-src"):
        sources = directives.get(directive, directives.get("default-src"))
        assert sources and set(sources) <= {"'self'", "'none'"}, f"{directive}: {sources}"


def send(client, method: str, url: str, data: dict | None = None):
    return client.get(url) if method == "GET" else client.post(url, data or {})


@pytest.mark.parametrize(
    ("name", "method"), [(name, OWN_ACCOUNT_METHODS.get(name) or EXPECTED[name][0]) for name in SIGNED_IN_REQUESTS]
)
def test_every_page_has_a_strict_content_security_policy_and_is_not_stored(client, world, name, method):
    people, arguments = world
    client.force_login(people["case_admin"])
    response = send(client, method, url_for(name, arguments), post_data(name, arguments))
    assert response.status_code < 500
    assert_strict_policy(response["Content-Security-Policy"])
    assert "no-store" in response["Cache-Control"]
    if response.get("Content-Type", "").startswith("text/html") and not response.streaming:
        page = response.content.decode()
        assert not INLINE_SCRIPT.search(page), INLINE_SCRIPT.search(page).group(0)
        assert not INLINE_HANDLER_OR_STYLE.search(page), INLINE_HANDLER_OR_STYLE.search(page).group(0)


def test_sign_in_page_has_a_strict_content_security_policy(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert_strict_policy(response["Content-Security-Policy"])
    assert not INLINE_SCRIPT.search(response.content.decode())
    assert not INLINE_HANDLER_OR_STYLE.search(response.content.decode())


@pytest.mark.parametrize(
    ("name", "method"), [(name, OWN_ACCOUNT_METHODS.get(name) or EXPECTED[name][0]) for name in SIGNED_IN_REQUESTS]
)
def test_nul_byte_in_the_path_or_query_is_a_bad_request(client, case, case_admin, name, method):
    client.force_login(case_admin)
    arguments = {"reference": case.reference, "keyframe": 0}
    url = reverse(name, kwargs={key: arguments.get(key, 1) for key in url_arguments(name)})
    in_path = url[:-1] + "%00/" if url.endswith("/") else url + "%00"
    for hostile in (f"{url}?q=%00", f"{url}?page=1&ordering=a%00b", in_path):
        response = send(client, method, hostile)
        assert response.status_code == 400, f"{method} {hostile}: {response.status_code}"


@pytest.mark.parametrize(("name", "method"), [("login", "GET"), ("login", "POST"), ("set_language", "POST")])
def test_nul_byte_on_public_urls_is_a_bad_request(client, name, method):
    assert send(client, method, reverse(name) + "?next=%00").status_code == 400


def test_api_answers_are_never_stored_even_when_refused(client):
    response = client.get(reverse("api:case_list"))
    assert response.status_code == 401
    assert "no-store" in response["Cache-Control"]
