from django.shortcuts import redirect
from django.urls import reverse
from django_otp import user_has_device


class SecondFactorMiddleware:
    """A person who enrolled a TOTP device must enter a code after their password before anything else."""

    EXEMPT_PREFIXES = ("/account/two-factor/verify/", "/accounts/logout/", "/i18n/", "/static/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(self.EXEMPT_PREFIXES)
            and user_has_device(user)
        ):
            return redirect(f"{reverse('two_factor_verify')}?next={request.get_full_path()}")
        return self.get_response(request)
