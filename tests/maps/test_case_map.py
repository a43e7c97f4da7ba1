"""The case map: its page, its GeoJSON points (filters, permissions) and the far-from-incident flag."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from casework.evidence.models import MediaItem
from casework.incidents.models import Governorate
from tests.factories import IncidentFactory, MediaItemFactory, UserFactory, WitnessFactory

IDLIB_CITY = (Decimal("35.930600"), Decimal("36.633900"))
SARAQIB = (Decimal("35.862000"), Decimal("36.804000"))  # ~17 km from Idlib city
ALEPPO = (Decimal("36.202100"), Decimal("37.134300"))  # ~54 km from Idlib city


def when(day: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2024, 3, day, 12, 0))


@pytest.fixture
def places(case, intake_worker):
    """An incident in Idlib city (March 5), one in Aleppo (March 20), one without a position; a photo taken
    at Saraqib (near the Idlib incident, verified), a video taken in Aleppo but linked to the Idlib incident,
    a photo without GPS and a withdrawn photo with GPS."""
    idlib = IncidentFactory(
        case=case, reference="INC-IDLIB", title="Market strike", start_time=when(5), latitude=IDLIB_CITY[0],
        longitude=IDLIB_CITY[1],
    )  # fmt: skip
    aleppo = IncidentFactory(
        case=case, reference="INC-ALEPPO", title="Bakery strike", start_time=when(20),
        governorate=Governorate.objects.get(code="aleppo", case=None), latitude=ALEPPO[0], longitude=ALEPPO[1],
    )  # fmt: skip
    IncidentFactory(case=case, reference="INC-NOWHERE", start_time=when(6))
    witness = WitnessFactory(case=case)
    near = MediaItemFactory(
        case=case, latitude=SARAQIB[0], longitude=SARAQIB[1], capture_time=when(5), acquired_by=intake_worker,
        description="Secret description", original_filename="sender-name.jpg", witness=witness,
        verification_status="verified", verified_by=UserFactory(), verified_at=timezone.now(),
    )  # fmt: skip
    near.incidents.add(idlib)
    far = MediaItemFactory(
        case=case, kind="video", mime_type="video/mp4", latitude=ALEPPO[0], longitude=ALEPPO[1],
        capture_time=when(5), acquired_by=intake_worker,
    )  # fmt: skip
    far.incidents.add(idlib)
    MediaItemFactory(case=case, capture_time=when(5), acquired_by=intake_worker)
    MediaItemFactory(
        case=case, latitude=IDLIB_CITY[0], longitude=IDLIB_CITY[1], acquired_by=intake_worker,
        withdrawn_at=timezone.now(), withdrawn_by=intake_worker, withdrawal_reason="Sent by mistake.",
    )  # fmt: skip
    return {"idlib": idlib, "aleppo": aleppo, "near": near, "far": far, "witness": witness}


def points(client, case, **query) -> dict:
    response = client.get(reverse("maps:case_map_points", args=[case.reference]), query)
    assert response.status_code == 200, response.content
    return response.json()


def labels(collection) -> set[str]:
    return {feature["properties"]["label"].split(" — ")[0] for feature in collection["features"]}


@pytest.mark.django_db
def test_points_are_the_located_incidents_and_the_geolocated_media_linking_to_their_pages(
    client, case, analyst, places
):
    client.force_login(analyst)
    collection = points(client, case)
    near, far = places["near"], places["far"]
    assert labels(collection) == {"INC-IDLIB", "INC-ALEPPO", near.exhibit_number, far.exhibit_number}
    by_label = {feature["properties"]["label"]: feature for feature in collection["features"]}
    idlib = by_label["INC-IDLIB — Market strike"]
    assert idlib["geometry"] == {"type": "Point", "coordinates": [36.6339, 35.9306]}  # GeoJSON: longitude first
    assert idlib["properties"]["url"] == reverse("incidents:incident_detail", args=[case.reference, places["idlib"].pk])
    assert idlib["properties"]["date"] == "2024-03-05"
    video = by_label[f"{far.exhibit_number} — Video"]
    assert video["properties"]["url"] == reverse("evidence:media_detail", args=[far.pk])
    assert video["properties"]["far_from"] == [{"reference": "INC-IDLIB", "km": 54.2}]
    assert by_label[f"{near.exhibit_number} — Photo"]["properties"]["far_from"] == []
    text = json.dumps(collection, ensure_ascii=False)
    for hidden in ("Secret description", "sender-name", places["witness"].pseudonym):
        assert hidden not in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"record_type": "incidents"}, {"INC-IDLIB", "INC-ALEPPO"}),
        ({"record_type": "media"}, {"near", "far"}),
        ({"date_from": "2024-03-10"}, {"INC-ALEPPO"}),
        ({"date_to": "2024-03-10"}, {"INC-IDLIB", "near", "far"}),
        ({"governorate": "aleppo"}, {"INC-ALEPPO"}),
        ({"governorate": "idlib"}, {"INC-IDLIB", "near", "far"}),
        ({"verification": "verified", "record_type": "media"}, {"near"}),
        ({"verification": "unverified"}, {"INC-IDLIB", "INC-ALEPPO", "far"}),
    ],
)
def test_points_follow_the_filters(client, case, intake_worker, places, query, expected):
    if "governorate" in query:
        query["governorate"] = Governorate.objects.get(code=query["governorate"], case=None).pk
    client.force_login(intake_worker)
    names = {places["near"].exhibit_number: "near", places["far"].exhibit_number: "far"}
    assert {names.get(label, label) for label in labels(points(client, case, **query))} == expected


@pytest.mark.django_db
def test_bad_filters_are_refused_with_the_reason(client, case, intake_worker, places):
    client.force_login(intake_worker)
    url = reverse("maps:case_map_points", args=[case.reference])
    response = client.get(url, {"date_from": "2024-03-20", "date_to": "2024-03-01"})
    assert response.status_code == 400
    assert "date_to" in response.json()["errors"]
    assert client.get(url, {"date_from": "not a date"}).status_code == 400
    page = client.get(reverse("maps:case_map", args=[case.reference]), {"date_from": "not a date"})
    assert page.status_code == 200
    assert 'data-points-url=""' in page.content.decode()
    assert 'value="not a date"' in page.content.decode()  # the form keeps what was typed


@pytest.mark.django_db
def test_an_outsider_gets_nothing_of_the_case(client, case, outsider, places):
    client.force_login(outsider)
    assert client.get(reverse("maps:case_map", args=[case.reference])).status_code == 404
    response = client.get(reverse("maps:case_map_points", args=[case.reference]))
    assert response.status_code == 404
    assert b"INC-IDLIB" not in response.content


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_sign_in(client, case, places):
    response = client.get(reverse("maps:case_map_points", args=[case.reference]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_map_page_loads_leaflet_and_its_data_from_this_site_only(client, case, reviewer, settings):
    settings.CASEWORK_MAP_TILE_URL = ""
    client.force_login(reviewer)
    response = client.get(reverse("maps:case_map", args=[case.reference]), {"record_type": "media"})
    html = response.content.decode()
    assert "/static/maps/vendor/leaflet-1.9.4/leaflet.js" in html
    assert "/static/maps/vendor/natural-earth/countries-110m.geojson" in html
    assert f'data-points-url="/cases/{case.reference}/map/points.json?record_type=media"' in html
    assert 'data-tile-url=""' in html
    assert "<script>" not in html and "unpkg" not in html and "cdn" not in html.lower()
    assert "script-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_a_tile_server_setting_becomes_the_base_layer(client, case, reviewer, settings):
    settings.CASEWORK_MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.CASEWORK_MAP_TILE_ATTRIBUTION = "© Example tiles"
    client.force_login(reviewer)
    html = client.get(reverse("maps:case_map", args=[case.reference])).content.decode()
    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in html
    assert "© Example tiles" in html


@pytest.mark.django_db
def test_media_far_from_its_incident_is_flagged_on_its_page_and_in_the_review_queue(client, case, reviewer, places):
    client.force_login(reviewer)
    far_page = client.get(reverse("evidence:media_detail", args=[places["far"].pk])).content.decode()
    assert "54.2 km from the location of incident INC-IDLIB (more than 25 km)" in far_page
    near_page = client.get(reverse("evidence:media_detail", args=[places["near"].pk])).content.decode()
    assert "far-from-incident" not in near_page
    queue = client.get(reverse("web:review_queue", args=[case.reference])).content.decode()
    far_entry = queue.split(f'id="media-{places["far"].pk}"')[1].split("</li>")[0]
    assert "54.2 km from incident INC-IDLIB" in far_entry
    assert queue.count("far-from-incident") == 1


@pytest.mark.django_db
def test_the_far_limit_is_a_setting(client, case, reviewer, places, settings):
    settings.CASEWORK_FAR_FROM_INCIDENT_KM = 60
    client.force_login(reviewer)
    page = client.get(reverse("evidence:media_detail", args=[places["far"].pk])).content.decode()
    assert "far-from-incident" not in page
    settings.CASEWORK_FAR_FROM_INCIDENT_KM = 10
    page = client.get(reverse("evidence:media_detail", args=[places["near"].pk])).content.decode()
    assert "from the location of incident INC-IDLIB (more than 10 km)" in page


@pytest.mark.django_db
def test_no_flag_without_both_positions(client, case, reviewer, places):
    item = MediaItem.objects.get(pk=places["far"].pk)
    item.incidents.set([IncidentFactory(case=case, reference="INC-UNPLACED")])
    client.force_login(reviewer)
    page = client.get(reverse("evidence:media_detail", args=[item.pk])).content.decode()
    assert "far-from-incident" not in page


@pytest.mark.django_db
def test_a_photo_without_a_capture_time_is_dated_by_its_arrival_on_the_map_as_in_search(
    client, case, intake_worker, places
):
    """One rule for a media item's date, at both doors that filter by it: when it was filmed if known, else when
    it came in. A geolocated photo whose metadata had no time is neither lost from a date range on the map nor
    shown there without a date."""
    from casework.search.models import RecordKind
    from casework.search.services import search_index
    from tests.search.test_search import found

    undated = MediaItemFactory(
        case=case, latitude=SARAQIB[0], longitude=SARAQIB[1], acquired_by=intake_worker, capture_time=None,
        acquired_at=when(15), description="Rubble of the bakery",
    )  # fmt: skip
    search_index(kind=RecordKind.MEDIA, ids=[undated.pk])
    client.force_login(intake_worker)
    by_label = {f["properties"]["label"].split(" — ")[0]: f for f in points(client, case)["features"]}
    assert by_label[undated.exhibit_number]["properties"]["date"] == "2024-03-15"
    for query, on_the_map in (
        ({"date_from": "2024-03-10"}, True),
        ({"date_to": "2024-03-10"}, False),
        ({"date_from": "2024-03-15", "date_to": "2024-03-15"}, True),
    ):
        assert (undated.exhibit_number in labels(points(client, case, **query))) is on_the_map, query
        in_search = found(
            case, intake_worker, "bakery", kinds=(RecordKind.MEDIA,),
            date_from=dt.date.fromisoformat(query["date_from"]) if "date_from" in query else None,
            date_to=dt.date.fromisoformat(query["date_to"]) if "date_to" in query else None,
        )  # fmt: skip
        assert (len(in_search) == 1) is on_the_map, query
