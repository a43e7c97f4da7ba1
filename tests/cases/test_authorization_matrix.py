"""Every URL of the web UI, the API and the admin (found by introspecting the URLconf) for every kind of person.

A URL that is not described in EXPECTED fails the suite, so a new endpoint cannot be forgotten. No response
to anyone contains a witness's real name (revealing an identity is a separate, audited action).
"""

import io
import re

import pytest
from django.contrib import admin
from django.urls import URLResolver, get_resolver, reverse

from casework.bundles.services import bundle_build, bundle_request
from casework.evidence.models import CustodyEvent, MediaItem, NearDuplicate
from casework.evidence.samples import jpeg_bytes
from casework.evidence.services import media_ingest_stream, media_process
from casework.web.models import ApiToken
from casework.witnesses.models import Consent
from tests.factories import IncidentFactory, TestimonyFactory, VictimFactory, WitnessFactory

pytestmark = pytest.mark.django_db

CANARY_REAL_NAME = "Zaynab Canary-7f3a9"
ROLES = ["anonymous", "outsider", "intake", "reviewer", "analyst", "case_admin", "superuser"]
CASE_ROLES = {"intake", "reviewer", "analyst", "case_admin", "superuser"}
EDITORS = {"intake", "case_admin", "superuser"}
REVIEWERS = {"reviewer", "case_admin", "superuser"}
ANALYSTS = {"analyst", "case_admin", "superuser"}

# URL name -> (method, who may use it). Everyone else is refused.
EXPECTED = {
    "web:home": ("GET", CASE_ROLES | {"outsider"}),
    "web:case_detail": ("GET", CASE_ROLES),
    "web:review_queue": ("GET", CASE_ROLES),
    "incidents:incident_list": ("GET", CASE_ROLES),
    "incidents:incident_detail": ("GET", CASE_ROLES),
    "incidents:victim_list": ("GET", CASE_ROLES),
    "incidents:incident_create": ("GET", EDITORS),
    "incidents:incident_edit": ("GET", EDITORS),
    "witnesses:witness_list": ("GET", CASE_ROLES),
    "witnesses:witness_detail": ("GET", CASE_ROLES),
    "witnesses:witness_create": ("GET", EDITORS),
    "witnesses:witness_edit": ("GET", EDITORS),
    "witnesses:testimony_list": ("GET", CASE_ROLES),
    "witnesses:testimony_detail": ("GET", CASE_ROLES),
    "witnesses:testimony_create": ("GET", EDITORS),
    "witnesses:testimony_edit": ("GET", EDITORS),
    "witnesses:testimony_submit": ("POST", EDITORS),
    "witnesses:consent_withdraw": ("POST", EDITORS),
    "witnesses:consent_confirm_name": ("POST", {"case_admin", "superuser"}),
    "witnesses:testimony_review": ("POST", REVIEWERS),
    "evidence:media_list": ("GET", CASE_ROLES),
    "evidence:media_detail": ("GET", CASE_ROLES),
    "evidence:media_state": ("GET", CASE_ROLES),
    "evidence:media_original": ("GET", CASE_ROLES),
    "evidence:media_thumbnail": ("GET", CASE_ROLES),
    "evidence:media_keyframe": ("GET", CASE_ROLES),
    "evidence:media_view_original": ("GET", CASE_ROLES),
    "evidence:media_links": ("POST", EDITORS),
    "evidence:media_edit": ("POST", EDITORS),
    "evidence:media_withdraw": ("POST", {"case_admin", "superuser"}),
    "evidence:media_review": ("POST", REVIEWERS),
    "evidence:media_graphic": ("POST", REVIEWERS),
    "evidence:near_duplicate_decide": ("POST", REVIEWERS),
    "witnesses:witness_reveal": ("GET", {"case_admin", "superuser"}),
    "audit:case_audit_log": ("GET", {"case_admin", "superuser"}),
    "bundles:bundle_list": ("GET", ANALYSTS),
    "bundles:bundle_download": ("GET", ANALYSTS),
    "bundles:bundle_retry": ("POST", ANALYSTS),
    "api:case_list": ("GET", CASE_ROLES | {"outsider"}),
    "api:case_detail": ("GET", CASE_ROLES),
    "api:incident_list": ("GET", CASE_ROLES),
    "api:incident_detail": ("GET", CASE_ROLES),
    "api:victim_list": ("GET", CASE_ROLES),
    "api:victim_detail": ("GET", CASE_ROLES),
    "api:victim_mark_duplicate": ("POST", REVIEWERS),
    "api:witness_list": ("GET", CASE_ROLES),
    "api:witness_detail": ("GET", CASE_ROLES),
    "api:witness_reveal": ("POST", {"case_admin", "superuser"}),
    "api:consent_list": ("GET", CASE_ROLES),
    "api:consent_detail": ("GET", CASE_ROLES),
    "api:consent_withdraw": ("POST", EDITORS),
    "api:consent_confirm_name": ("POST", {"case_admin", "superuser"}),
    "api:testimony_list": ("GET", CASE_ROLES),
    "api:testimony_detail": ("GET", CASE_ROLES),
    "api:testimony_submit": ("POST", EDITORS),
    "api:testimony_review": ("POST", REVIEWERS),
    "api:media_list": ("GET", CASE_ROLES),
    "api:media_detail": ("GET", CASE_ROLES),
    "api:media_original": ("GET", CASE_ROLES),
    "api:media_withdraw": ("POST", {"case_admin", "superuser"}),
    "api:custody_list": ("GET", CASE_ROLES),
    "api:custody_detail": ("GET", CASE_ROLES),
    "api:bundle_list": ("GET", ANALYSTS),
    "api:bundle_detail": ("GET", ANALYSTS),
    "api:bundle_download": ("GET", ANALYSTS),
    "api:victims_import": ("POST", EDITORS),
    "incidents:victims_import": ("GET", EDITORS),
    "incidents:victims_export": ("GET", CASE_ROLES),
    # Across cases: the outsider sees the statistics of their own case (as case admin there), not of this one.
    "statistics:overview": ("GET", ANALYSTS | {"outsider"}),
    "statistics:records": ("GET", ANALYSTS | {"outsider"}),
    "statistics:export": ("GET", ANALYSTS | {"outsider"}),
    "api:statistics": ("GET", ANALYSTS | {"outsider"}),
    "api:statistics_records": ("GET", ANALYSTS | {"outsider"}),
    # The API's description: for everyone signed in, nobody else.
    "api:schema": ("GET", CASE_ROLES | {"outsider"}),
    "api:docs": ("GET", CASE_ROLES | {"outsider"}),
}
PUBLIC = {"login", "logout", "set_language"}
# Every signed-in person, for their own account only.
OWN_ACCOUNT = {
    "two_factor_setup",
    "two_factor_verify",
    "api_token_create",
    "api_token_revoke",
    "api:token_list",
    "api:token_detail",
}


def post_data(name: str, arguments: dict) -> dict:
    """The smallest valid form for each action, so only permission can stop it."""
    return {
        "evidence:media_links": {"incident": arguments["incident_id"]},
        "evidence:media_edit": {"description": "Seen from the north side."},
        "evidence:media_withdraw": {"reason": "Sent by mistake."},
        "api:media_withdraw": {"reason": "Sent by mistake."},
        "evidence:media_review": {"decision": "verify"},
        "evidence:media_graphic": {"is_graphic": "1"},
        "evidence:near_duplicate_decide": {"decision": "dismiss"},
        "witnesses:testimony_review": {"decision": "verify", "version": 1},
        "api:testimony_review": {"decision": "verify", "version": 1},
        "witnesses:consent_withdraw": {"withdrawn_on": "2024-06-01", "reason": "asked"},
        "api:consent_withdraw": {"withdrawn_on": "2024-06-01", "reason": "asked"},
        "api:victim_mark_duplicate": {"duplicate_of": arguments["victim_id"] + 1},
    }.get(name, {})


def all_routes():
    def walk(patterns, prefix="", namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            else:
                yield prefix + str(pattern.pattern), namespace + (pattern.name or "")

    return list(walk(get_resolver().url_patterns))


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
        "sequence": CustodyEvent.objects.filter(case=case).values_list("sequence", flat=True).first(),
    }
    return people, arguments


def url_arguments(name: str) -> list[str]:
    route = next(route for route, route_name in all_routes() if route_name == name)
    return re.findall(r"<(?:\w+:)?(\w+)>", route)


def url_for(name: str, arguments: dict) -> str:
    return reverse(name, kwargs={key: arguments[key] for key in url_arguments(name)})


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
