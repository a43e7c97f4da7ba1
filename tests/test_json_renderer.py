"""The API's JSON renderer writes through orjson; what it writes must be what DRF's own renderer writes."""

import datetime as dt
import json
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers as drf_renderers
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from casework.renderers import JSONRenderer

UTC_MOMENT = dt.datetime(2024, 3, 4, 5, 6, 7, 890123, tzinfo=dt.UTC)
VALUES = {
    "text": 'سمعت صوت الطائرة ثم الانفجار. "quoted" \\ back\nslash\t',
    "separators": "line\u2028paragraph\u2029end",
    "numbers": [0, -1, 2**53, 1.5, 0.1, 1 / 3, 12345.678, True, False, None],
    "utc time": UTC_MOMENT,
    "utc time, whole seconds": UTC_MOMENT.replace(microsecond=0),
    "zoned time": UTC_MOMENT.astimezone(ZoneInfo("Asia/Damascus")),
    "naive time": UTC_MOMENT.replace(tzinfo=None),
    "date": dt.date(2024, 3, 4),
    "time of day": dt.time(5, 6, 7, 890),
    "span": dt.timedelta(days=1, seconds=5),
    "decimal": Decimal("12.50"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "lazy": gettext_lazy("case"),
    "nested": ReturnList([ReturnDict({"id": 1, "tuple": (1, 2)}, serializer=None)], serializer=None),
    "set": {3},
    "bytes": b"raw",
    7: "a number as a key",
}


@pytest.mark.parametrize("name", [name for name in VALUES])
def test_each_kind_of_value_is_written_as_drf_writes_it(name):
    data = {"value": VALUES[name]}
    assert JSONRenderer().render(data) == drf_renderers.JSONRenderer().render(data)


def test_a_whole_payload_and_an_empty_answer_are_written_as_drf_writes_them():
    assert JSONRenderer().render(VALUES) == drf_renderers.JSONRenderer().render(VALUES)
    assert JSONRenderer().render(None) == b""
    assert JSONRenderer().render([]) == b"[]"


def test_a_number_in_exponent_form_is_the_same_number():
    """The one difference in form: orjson writes 1e-7 and 1e16 where DRF writes 1e-07 and 1e+16."""
    data = {"small": 1e-7, "large": 1e16, "tiny": 5e-324}
    assert json.loads(JSONRenderer().render(data)) == json.loads(drf_renderers.JSONRenderer().render(data)) == data


def test_an_indented_answer_is_drfs_own():
    for media_type, context in (("application/json; indent=4", {}), (None, {"indent": 2})):
        ours = JSONRenderer().render(VALUES, media_type, context)
        assert ours == drf_renderers.JSONRenderer().render(VALUES, media_type, context)
        assert b"\n" in ours


def test_a_value_drf_cannot_write_is_refused_as_drf_refuses_it():
    with pytest.raises(TypeError):
        drf_renderers.JSONRenderer().render({"value": object()})
    with pytest.raises(TypeError):
        JSONRenderer().render({"value": object()})


def test_the_api_answers_through_it(api, case, analyst):
    api.force_authenticate(analyst)
    response = api.get(f"/api/cases/{case.reference}/testimonies/")
    assert response.status_code == 200
    assert isinstance(response.accepted_renderer, JSONRenderer)
    assert response.content == drf_renderers.JSONRenderer().render(response.data)
