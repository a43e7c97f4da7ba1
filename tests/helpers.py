"""Helpers shared by several test modules (fixtures live in conftest.py)."""

import re
from html.parser import HTMLParser

from django.db import models
from django.http import HttpResponse
from django.urls import URLResolver, get_resolver, reverse


def admin_url(model: type[models.Model], view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


class _FormFields(HTMLParser):
    """The fields a browser would submit from the form with `form_id`, as {name: [values]}."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.fields: dict[str, list[str]] = {}
        self._inside = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._inside = attrs.get("id") == self.form_id
            return
        name = attrs.get("name")
        if not self._inside or (tag in ("input", "select", "textarea") and (not name or "__prefix__" in name)):
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "reset", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields.setdefault(name, []).append(attrs.get("value") or ("on" if kind == "checkbox" else ""))
        elif tag == "select":
            self._select = name
            self.fields.setdefault(name, [])
        elif tag == "option" and self._select is not None and "selected" in attrs:
            self.fields[self._select].append(attrs.get("value", ""))
        elif tag == "textarea":
            self._textarea = name
            self.fields[name] = [""]

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self.fields[self._textarea][-1] += data


def form_data(response: HttpResponse, model: type[models.Model]) -> dict[str, list[str]]:
    """What submitting the admin change form on `response` unchanged would post."""
    parser = _FormFields(form_id=f"{model._meta.model_name}_form")
    parser.feed(response.content.decode())
    # A browser drops the newline Django writes right after <textarea>.
    return {name: [value.removeprefix("\n") for value in values] for name, values in parser.fields.items()}


def sign_in(page, base_url: str, username: str) -> None:
    """Sign a persona in through the real sign-in page of a browser test."""
    from playwright.sync_api import expect

    from tests.factories import TEST_PASSWORD

    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("main button[type=submit]")
    expect(page.get_by_role("heading", name="Your cases")).to_be_visible()


def sign_out(page) -> None:
    page.click("header form[action$='/logout/'] button")


# The URL matrix: every URL of the web UI and the API, and who may use it -----------------------------------

ROLES = ["anonymous", "outsider", "intake", "reviewer", "analyst", "case_admin", "superuser"]
CASE_ROLES = {"intake", "reviewer", "analyst", "case_admin", "superuser"}
EDITORS = {"intake", "case_admin", "superuser"}
REVIEWERS = {"reviewer", "case_admin", "superuser"}
ANALYSTS = {"analyst", "case_admin", "superuser"}

# URL name -> (method, who may use it). Everyone else is refused.
SIGNED_IN = CASE_ROLES | {"outsider"}
CASE_ADMINS = {"case_admin", "superuser"}
EXPECTED = {
    "web:home": ("GET", SIGNED_IN),
    "web:case_detail": ("GET", CASE_ROLES),
    "web:review_queue": ("GET", CASE_ROLES),
    "web:review_assign": ("POST", REVIEWERS),
    # Record pickers: every role on the case reads incidents, witnesses (by pseudonym) and recordings.
    "web:pick_incidents": ("GET", CASE_ROLES),
    "web:pick_witnesses": ("GET", CASE_ROLES),
    "web:pick_recordings": ("GET", CASE_ROLES),
    # Everyone's own review work and notifications, across the cases they are on.
    "web:my_review_queue": ("GET", SIGNED_IN),
    "notifications:notification_list": ("GET", SIGNED_IN),
    "notifications:notification_read": ("POST", SIGNED_IN),
    "notifications:notifications_read_all": ("POST", SIGNED_IN),
    "api:notification_list": ("GET", SIGNED_IN),
    "api:notifications_read_all": ("POST", SIGNED_IN),
    # The world's notification is the intake worker's: anyone else's id is not found.
    "api:notification_read": ("POST", {"intake"}),
    # Opening a case: superusers and organisation admins (none among the personas).
    "cases:case_create": ("GET", {"superuser"}),
    "cases:team": ("GET", CASE_ROLES),
    "cases:team_add": ("POST", CASE_ADMINS),
    "cases:team_change_role": ("POST", CASE_ADMINS),
    "cases:team_remove": ("POST", CASE_ADMINS),
    "api:testimony_assign": ("POST", REVIEWERS),
    "api:media_assign": ("POST", REVIEWERS),
    # The case map and its points: every role on the case (media points only for those who may see media).
    "maps:case_map": ("GET", CASE_ROLES),
    "maps:case_map_points": ("GET", CASE_ROLES),
    "incidents:incident_list": ("GET", CASE_ROLES),
    "incidents:incident_detail": ("GET", CASE_ROLES),
    "incidents:victim_list": ("GET", CASE_ROLES),
    "incidents:victim_detail": ("GET", CASE_ROLES),
    "incidents:incident_create": ("GET", EDITORS),
    "incidents:incident_edit": ("GET", EDITORS),
    "witnesses:witness_list": ("GET", CASE_ROLES),
    "witnesses:witness_detail": ("GET", CASE_ROLES),
    "witnesses:witness_create": ("GET", EDITORS),
    "witnesses:witness_edit": ("GET", EDITORS),
    "witnesses:testimony_list": ("GET", CASE_ROLES),
    # Bulk actions: whoever may edit or review records; each record is then checked as on its own page.
    "witnesses:testimony_bulk": ("POST", EDITORS | REVIEWERS),
    "witnesses:testimony_detail": ("GET", CASE_ROLES),
    "witnesses:testimony_create": ("GET", EDITORS),
    "witnesses:testimony_edit": ("GET", EDITORS),
    "witnesses:testimony_submit": ("POST", EDITORS),
    "witnesses:consent_withdraw": ("POST", EDITORS),
    "witnesses:consent_confirm_name": ("POST", {"case_admin", "superuser"}),
    "witnesses:testimony_review": ("POST", REVIEWERS),
    "evidence:media_list": ("GET", CASE_ROLES),
    "evidence:media_bulk": ("POST", EDITORS | REVIEWERS),
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
    # Captures of online sources: everyone who sees the case's media reads them; whoever uploads media captures.
    "captures:capture_list": ("GET", CASE_ROLES),
    "captures:capture_gone": ("GET", CASE_ROLES),
    "captures:capture_detail": ("GET", CASE_ROLES),
    "captures:capture_artefact": ("GET", CASE_ROLES),
    "captures:capture_retry": ("POST", EDITORS),
    "api:capture_list": ("GET", CASE_ROLES),
    "api:capture_detail": ("GET", CASE_ROLES),
    "bundles:bundle_list": ("GET", ANALYSTS),
    # Case search: the whole team; a saved search is deleted only by who saved it (the case admin here).
    "search:search": ("GET", CASE_ROLES),
    "search:saved_search_create": ("POST", CASE_ROLES),
    "search:saved_search_delete": ("POST", {"case_admin"}),
    "api:search": ("GET", CASE_ROLES),
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
    # Resumable uploads: starting one needs the upload permission (without tus headers the answer is 412, not a
    # refusal); an upload is its creator's alone (the intake worker's here): anyone else gets 404.
    "api:upload_list": ("POST", EDITORS),
    "api:upload_detail": ("GET", {"intake"}),
    "api:custody_list": ("GET", CASE_ROLES),
    "api:custody_detail": ("GET", CASE_ROLES),
    "api:bundle_list": ("GET", ANALYSTS),
    "api:bundle_detail": ("GET", ANALYSTS),
    "api:bundle_download": ("GET", ANALYSTS),
    "api:victims_import": ("POST", EDITORS),
    "incidents:victims_import": ("GET", EDITORS),
    "incidents:victims_export": ("GET", CASE_ROLES),
    # Record linkage: reviewers and case admins see candidate pairs and decide.
    "incidents:linkage_review": ("GET", REVIEWERS),
    "incidents:linkage_search": ("POST", REVIEWERS),
    "incidents:linkage_decide": ("POST", REVIEWERS),
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
        "evidence:media_bulk": {"items": arguments["item_id"], "action": "mark_graphic"},
        "witnesses:testimony_bulk": {
            "items": arguments["testimony_id"],
            "action": "link_incident",
            "incident": arguments["incident_id"],
        },
        "evidence:near_duplicate_decide": {"decision": "dismiss"},
        "witnesses:testimony_review": {"decision": "verify", "version": 1},
        "api:testimony_review": {"decision": "verify", "version": 1},
        "witnesses:consent_withdraw": {"withdrawn_on": "2024-06-01", "reason": "asked"},
        "api:consent_withdraw": {"withdrawn_on": "2024-06-01", "reason": "asked"},
        "api:victim_mark_duplicate": {"duplicate_of": arguments["victim_id"] + 1},
        "incidents:linkage_decide": {
            "first": arguments["victim_id"],
            "second": arguments["victim_id"] + 1,
            "verdict": "unsure",
        },
        # Team changes without "confirmed": the confirmation step, which changes nothing.
        "cases:team_add": {"user": "outsider", "role": "analyst"},
        "cases:team_change_role": {"role": "analyst"},
        "web:review_assign": {"testimony": arguments["testimony_id"], "assignee": ""},
        "api:testimony_assign": {"assignee": ""},
        "api:media_assign": {"assignee": ""},
        "search:saved_search_create": {"name": "Market", "parameters": "q=market"},
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


def url_arguments(name: str) -> list[str]:
    route = next(route for route, route_name in all_routes() if route_name == name)
    return re.findall(r"<(?:\w+:)?(\w+)>", route)


def url_for(name: str, arguments: dict) -> str:
    return reverse(name, kwargs={key: arguments[key] for key in url_arguments(name)})
