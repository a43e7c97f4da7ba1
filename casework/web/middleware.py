from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from casework.web.selectors import has_confirmed_device


class RejectNulBytesMiddleware:
    """A NUL character in the path or the query string is refused with 400 before any view sees it.

    No URL of Casework needs one, and PostgreSQL refuses text containing it: passed on, it would turn a
    lookup into a server error (500) instead of a clear answer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or "\x00" in request.path_info or self._query_has_nul(request):
            return HttpResponseBadRequest(
                "Bad request: a NUL character is not allowed in a URL.", content_type="text/plain"
            )
        return self.get_response(request)

    @staticmethod
    def _query_has_nul(request: HttpRequest) -> bool:
        if "\x00" in request.META.get("QUERY_STRING", ""):
            return True
        return any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values)


class StorageFullMiddleware:
    """A full disk is answered 507 Insufficient Storage with a message a person can act on, not a 500.

    Two ways in: a view (or the API) raised StorageFull or an OSError ENOSPC/EDQUOT; or the upload handler ran
    out of space while Django read the request body (before any view, so it marks the request instead of
    raising, and its partial file is already gone).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "casework_storage_full", False):
            return self.storage_full(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from casework.errors import StorageFull
        from casework.evidence.uploads import is_storage_full

        if isinstance(exception, StorageFull) or is_storage_full(exception):
            return self.storage_full(request)
        return None

    @staticmethod
    def storage_full(request: HttpRequest) -> HttpResponse:
        from casework.errors import storage_full_message

        message = storage_full_message()
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=507)
        return HttpResponse(message, status=507, content_type="text/plain; charset=utf-8")


class NoStoreMiddleware:
    """Nothing shown to a signed-in person, and no API answer, is kept by a browser or a proxy cache:
    case pages, witness details, exports and downloads must not outlive the session on a shared computer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in_or_api = (user is not None and user.is_authenticated) or request.path.startswith("/api/")
        # A view that already said no-store (an identity reveal, a download) keeps its own header.
        if signed_in_or_api and "no-store" not in response.get("Cache-Control", ""):
            add_never_cache_headers(response)
        return response


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
            and has_confirmed_device(user)
        ):
            return redirect(f"{reverse('two_factor_verify')}?next={request.get_full_path()}")
        return self.get_response(request)
