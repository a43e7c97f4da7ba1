"""The account page: the optional TOTP second factor (django-otp: enrol a device, then enter a code after each
sign-in) and the person's API tokens (see account_tokens)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.web.account_tokens import ApiTokenForm
from casework.web.models import ApiToken


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


@login_required
@never_cache
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
    device = None
    form = TokenForm(request.POST or None)
    if not confirmed:
        device, _created = TOTPDevice.objects.get_or_create(
            user=request.user, confirmed=False, defaults={"name": "Authenticator app"}
        )
        if request.method == "POST" and form.is_valid():
            if device.verify_token(form.cleaned_data["token"]):
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                otp_login(request, device)
                messages.success(
                    request, _("Two-step sign-in is on: you will be asked for a code after your password.")
                )
                return redirect("two_factor_setup")
            form.add_error("token", _("That code is not right; check the time on your phone and try again."))
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "confirmed": confirmed,
            "device": device,
            "form": form,
            "api_tokens": ApiToken.objects.of_owner(request.user).active(),
            "api_token_form": ApiTokenForm(),
            "api_token_ttl_hours": settings.CASEWORK_API_TOKEN_TTL_HOURS,
        },
        status=400 if form.errors else 200,
    )


@login_required
@never_cache
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            return redirect(next_url)
        form.add_error("token", _("That code is not right; check the time on your phone and try again."))
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": next_url},
        status=400 if form.errors else 200,
    )
