from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from casework.cases.selectors import case_get_for_user
from casework.maps.forms import MapFilterForm
from casework.maps.selectors import map_points


@login_required
@require_GET
def case_map(request: HttpRequest, reference: str) -> HttpResponse:
    """The case's map page: the filters, and a map that loads its points from case_map_points (map.js)."""
    case = case_get_for_user(reference=reference, user=request.user)
    form = MapFilterForm(request.GET or None, case=case)
    valid = form.is_valid() if request.GET else True
    points_url = reverse("maps:case_map_points", args=[case.reference])
    return render(
        request,
        "maps/case_map.html",
        {
            "case": case,
            "section": "map",
            "filter": {"form": form},
            "points_url": f"{points_url}?{request.GET.urlencode()}" if valid else "",
            "tile_url": settings.CASEWORK_MAP_TILE_URL,
            "tile_attribution": settings.CASEWORK_MAP_TILE_ATTRIBUTION,
            "far_km": settings.CASEWORK_FAR_FROM_INCIDENT_KM,
        },
    )


@login_required
@require_GET
def case_map_points(request: HttpRequest, reference: str) -> JsonResponse:
    """The map's points as GeoJSON (map_points). Outsiders get 404 like every page of a case; bad filters 400."""
    case = case_get_for_user(reference=reference, user=request.user)
    form = MapFilterForm(request.GET, case=case)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    urls = SimpleNamespace(
        incident=lambda incident: reverse("incidents:incident_detail", args=[case.reference, incident.pk]),
        media=lambda item: reverse("evidence:media_detail", args=[item.pk]),
    )
    return JsonResponse(map_points(case=case, user=request.user, filters=form.cleaned_data, urls=urls))
