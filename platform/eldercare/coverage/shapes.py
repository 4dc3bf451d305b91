"""The coverage map's shapes, placed in metres on a flat picture of the area: north up, the platform's own
coordinates and nothing from a tile server. At a city's size the flat picture is off by well under a percent."""
import math
from dataclasses import dataclass

from .services import KM_PER_DEGREE, RAD, Community, Coverage, Place, extent


@dataclass
class Dot:
    x: int
    y: int
    r: int  # a community's radius; a place's marker half-size
    community: Community | None = None
    place: Place | None = None

    @property
    def diamond(self) -> str:
        """A service point's marker: the points of a diamond around (x, y)."""
        x, y, r = self.x, self.y, self.r
        return f"{x},{y - r} {x + r},{y} {x},{y + r} {x - r},{y}"


@dataclass
class Drawing:
    width: int  # metres, west to east
    height: int  # metres, north to south
    ring: int  # the circle's radius in metres
    communities: list[Dot]  # largest first, so that a small one is drawn over a large one
    places: list[Dot]
    scale_m: int  # the scale bar's length
    stroke: int  # a line's width that reads at the picture's size

    @property
    def scale_label_km(self) -> str:
        return f"{self.scale_m / 1000:g}"


def drawing(cov: Coverage) -> Drawing | None:
    """The map of `cov`'s communities (circles by the square root of their elders, centred on their elders'
    centroid) and places (markers with the circle around each); None when no community has elders."""
    if not cov.communities:
        return None
    lat_lo, lat_hi, lng_lo, lng_hi = extent(cov.communities)
    m_per_lat = KM_PER_DEGREE * 1000
    m_per_lng = m_per_lat * math.cos((lat_lo + lat_hi) / 2 * RAD)
    width = max(round((lng_hi - lng_lo) * m_per_lng), 1)
    height = max(round((lat_hi - lat_lo) * m_per_lat), 1)
    size = max(width, height)

    def at(lat: float, lng: float) -> tuple[int, int]:
        return round((lng - lng_lo) * m_per_lng), round((lat_hi - lat) * m_per_lat)

    most = max(c.elders for c in cov.communities)
    biggest, smallest = size * 0.035, size * 0.006
    communities = [Dot(*at(c.lat, c.lng), r=round(max(smallest, biggest * math.sqrt(c.elders / most))), community=c)
                   for c in cov.communities]
    communities.sort(key=lambda d: (-d.r, d.community.id))
    marker = max(round(size * 0.01), 1)
    places = [Dot(*at(p.lat, p.lng), r=marker, place=p) for p in cov.places]
    scale = _round_length(size / 5)
    return Drawing(width=width, height=height, ring=cov.radius_m, communities=communities, places=places,
                   scale_m=scale, stroke=max(round(size / 500), 1))


def _round_length(metres: float) -> int:
    """The largest of 1, 2 or 5 times a power of ten metres not above `metres` (100 m at least)."""
    best = 100
    for power in range(2, 7):
        for step in (1, 2, 5):
            if step * 10 ** power <= metres:
                best = step * 10 ** power
    return best
