"""Places on the map: how far apart two points are, and whether a point can be in China at all."""
import math

# Mainland China's extreme points, give or take: a home or a provider outside cannot be served here.
CHINA_LAT = (3.8, 53.6)
CHINA_LNG = (73.5, 135.1)
EARTH_RADIUS_KM = 6371.0  # the mean radius: the sphere every distance here is measured on


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine): within a metre or so at city scale."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))
