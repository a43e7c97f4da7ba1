"""Helpers shared by several test modules (fixtures live in conftest.py)."""

from html.parser import HTMLParser

from django.db import models
from django.http import HttpResponse
from django.urls import reverse


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
