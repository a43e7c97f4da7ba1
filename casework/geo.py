"""Distances on the Earth's surface, for flagging media filmed far from the incident they are linked to."""

import math

# The mean radius of the Earth (IUGG), in kilometres: the haversine distance is within 0.5% of the geodesic.
EARTH_RADIUS_KM = 6371.0088


def haversine_km(latitude_a: float, longitude_a: float, latitude_b: float, longitude_b: float) -> float:
    """The great-circle distance in kilometres between two points given in signed decimal degrees."""
    phi_a, phi_b = math.radians(latitude_a), math.radians(latitude_b)
    delta_phi = phi_b - phi_a
    delta_lambda = math.radians(longitude_b - longitude_a)
    # Clamped: rounding can push the half-chord a hair past 1 for antipodal points, where asin is undefined.
    half_chord = math.sin(delta_phi / 2) ** 2 + math.cos(phi_a) * math.cos(phi_b) * math.sin(delta_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(half_chord)))
