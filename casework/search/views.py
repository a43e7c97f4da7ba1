"""The case search page and saved searches. Anyone on the case team may search it; results hold only what
the person may see (selectors.search_entries)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework.cases import access
from casework.cases.selectors import case_get_for_user
from casework.errors import Refused, add_refusal_to_form
from casework.search import services
from casework.search.forms import SavedSearchForm, SearchForm
from casework.search.selectors import saved_searches_visible_to, search_entries, search_hits

PAGE_SIZE = 20


def saved_search_url(saved) -> str:
    return reverse("search:search", args=[saved.case.reference]) + "?" + urlencode(saved.parameters, doseq=True)


@login_required
def search(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(reference=reference, user=request.user)
    form = SearchForm(request.GET or None, case=case)
    context = {"case": case, "section": "search", "form": form, "searched": False}
    if form.is_bound and form.is_valid():
        filters = form.filters()
        if not filters.is_empty():
            results = search_entries(case=case, user=request.user, filters=filters)
            page_obj = results.page(request.GET.get("page"), PAGE_SIZE)
            query = request.GET.copy()
            query.pop("page", None)
            context.update(
                searched=True,
                results=results,
                page_obj=page_obj,
                hits=search_hits(case=case, entries=page_obj.object_list, filters=filters),
                querystring_without_page=query.urlencode(),
                save_form=SavedSearchForm(),
                parameters=urlencode(form.parameters(), doseq=True),
            )
    saved = list(saved_searches_visible_to(case=case, user=request.user))
    for one in saved:
        one.url = saved_search_url(one)
    context.update(
        saved_searches=saved,
        can_request_bundles=request.user.has_perm(access.REQUEST_BUNDLE, case),
    )
    return render(request, "search/search.html", context, status=400 if form.is_bound and form.errors else 200)


@login_required
@require_POST
def saved_search_create(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(reference=reference, user=request.user)
    search_form = SearchForm(QueryDict(request.POST.get("parameters", "")), case=case)
    save_form = SavedSearchForm(request.POST)
    if search_form.is_valid() and save_form.is_valid():
        try:
            saved = services.saved_search_create(
                case=case,
                actor=request.user,
                name=save_form.cleaned_data["name"],
                parameters=search_form.parameters(),
                shared=save_form.cleaned_data["shared"],
            )
        except Refused as refusal:
            add_refusal_to_form(save_form, refusal)
        else:
            messages.success(request, _("Search “%(name)s” saved.") % {"name": saved.name})
            return redirect(saved_search_url(saved))
    for errors in [*save_form.errors.values(), *search_form.errors.values()]:
        for error in errors:
            messages.error(request, error)
    return redirect(reverse("search:search", args=[case.reference]) + "?" + request.POST.get("parameters", ""))


@login_required
@require_POST
def saved_search_delete(request: HttpRequest, reference: str, saved_id: int) -> HttpResponse:
    case = case_get_for_user(reference=reference, user=request.user)
    saved = saved_searches_visible_to(case=case, user=request.user).filter(pk=saved_id).first()
    if saved is None:
        raise Http404
    if saved.created_by_id != request.user.pk:
        raise PermissionDenied
    services.saved_search_delete(saved=saved, actor=request.user)
    messages.success(request, _("Saved search deleted."))
    return redirect("search:search", reference=case.reference)
