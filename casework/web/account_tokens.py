"""The account page's API tokens: create one (shown once), revoke one. The list is on the account page."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from casework.errors import Refused
from casework.web import services
from casework.web.models import ApiToken


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name"]


@login_required
@never_cache
@require_POST
def api_token_create(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect("two_factor_setup")
    try:
        created = services.api_token_create(
            owner=request.user,
            name=form.cleaned_data["name"],
            second_factor_verified=request.user.is_verified(),
            request=request,
        )
    except Refused as refusal:
        messages.error(request, refusal.message)
        return redirect("two_factor_setup")
    # Rendered, not redirected: the token must not travel through a message cookie or the session.
    return render(request, "registration/api_token_created.html", {"token": created.token, "text": created.text})


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.of_owner(request.user), pk=token_id)
    services.api_token_revoke(token=token, actor=request.user, request=request)
    messages.success(request, _("The API token was revoked; it no longer signs anything in."))
    return redirect("two_factor_setup")
