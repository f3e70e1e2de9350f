"""Distances on the globe and the map link for a place. Coordinates are GCJ-02 degrees (what WeChat's location
messages and Chinese maps use); at the few-kilometre scale of a branch finder the great-circle distance between
GCJ-02 points is as good as between WGS-84 ones."""

import math
from urllib.parse import quote

EARTH_RADIUS_M = 6_371_008.8
# Mainland China, Hong Kong, Macao and Taiwan, as a box (the branch finder refuses places outside it)
CHINA_BOX = (3.8, 53.6, 73.5, 135.1)  # min latitude, max latitude, min longitude, max longitude


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine), metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min lat, max lat, min lng, max lng) of a box holding every point within radius_m of (lat, lng)."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    cos_lat = max(math.cos(math.radians(lat)), 1e-6)
    dlng = min(180.0, math.degrees(radius_m / (EARTH_RADIUS_M * cos_lat)))
    return max(-90.0, lat - dlat), min(90.0, lat + dlat), max(-180.0, lng - dlng), min(180.0, lng + dlng)


def in_china(lat: float, lng: float) -> bool:
    low_lat, high_lat, low_lng, high_lng = CHINA_BOX
    return low_lat <= lat <= high_lat and low_lng <= lng <= high_lng


def format_distance(metres: float) -> str:
    if metres < 1000:
        return f"{max(10, round(metres / 10) * 10):.0f} m"
    return f"{metres / 1000:.1f} km" if metres < 100_000 else f"{metres / 1000:.0f} km"


def tencent_map_marker_url(lat: float, lng: float, title: str, address: str, referer: str) -> str:
    """Tencent Maps' URI API (标注点 marker): opens the map app or its web page at the place, in WeChat too."""
    marker = f"coord:{lat:.6f},{lng:.6f};title:{title};addr:{address or title}"
    return (f"https://apis.map.qq.com/uri/v1/marker?marker={quote(marker, safe=':,;')}"
            f"&referer={quote(referer, safe='')}")
