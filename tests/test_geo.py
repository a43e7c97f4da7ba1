"""The haversine distance used to flag media filmed far from their incident."""

import math

import pytest

from casework.geo import EARTH_RADIUS_KM, haversine_km


def test_the_same_point_is_zero_km_away():
    assert haversine_km(35.9306, 36.6339, 35.9306, 36.6339) == 0


def test_one_degree_of_latitude_is_about_111_km():
    assert haversine_km(0, 0, 1, 0) == pytest.approx(111.195, abs=0.001)


def test_aleppo_to_idlib_city_is_about_54_km_either_way():
    there = haversine_km(36.2021, 37.1343, 35.9306, 36.6339)
    back = haversine_km(35.9306, 36.6339, 36.2021, 37.1343)
    assert there == pytest.approx(54.17, abs=0.01) and there == back


def test_longitude_shrinks_towards_the_poles():
    assert haversine_km(60, 0, 60, 1) == pytest.approx(haversine_km(0, 0, 0, 1) / 2, rel=1e-3)


def test_across_the_antimeridian_is_the_short_way_round():
    assert haversine_km(0, 179.5, 0, -179.5) == pytest.approx(111.195, abs=0.001)


def test_antipodes_are_half_the_circumference_without_a_math_error():
    assert haversine_km(90, 0, -90, 0) == pytest.approx(math.pi * EARTH_RADIUS_KM)
    assert haversine_km(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_RADIUS_KM)
