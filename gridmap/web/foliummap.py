"""The one place where folium maps are built: Leaflet from this app (never a CDN), no basemap unless configured.

folium's defaults load Leaflet, jQuery, Bootstrap and Font Awesome from CDNs and add OpenStreetMap tiles; a command
centre may have no internet at all. :func:`make_map` replaces ``default_js``/``default_css`` with the vendored
Leaflet served under ``/vendor`` (see :mod:`gridmap.web.assets`), uses ``tiles=None`` unless
``GRIDMAP_BASEMAP_URL`` is set, and always gives a ``max_zoom`` (MarkerCluster needs one without tiles).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import folium
from branca.element import Figure

from gridmap.config import Settings
from gridmap.web.assets import vendor_url

LOCAL_JS = [("leaflet", vendor_url("leaflet", "leaflet.js"))]
LOCAL_CSS = [("leaflet_css", vendor_url("leaflet", "leaflet.css"))]
MAX_ZOOM = 19
DEFAULT_CENTER = (37.52, 111.14)  # 离石区
MAP_ID = "c0ffee"  # a fixed id: the map's script is then the same for every page and is served as a file (CSP)
# folium's one inline script in the head sets Leaflet's L_NO_TOUCH / L_DISABLE_3D to false — their defaults anyway
_INLINE_SCRIPT = re.compile(r"<script>\s*L_NO_TOUCH = false;\s*L_DISABLE_3D = false;\s*</script>")


def make_map(
    settings: Settings,
    *,
    location: tuple[float, float] = DEFAULT_CENTER,
    zoom_start: int = 13,
    basemap: bool = True,
    prefer_canvas: bool = True,
    **kwargs: Any,
) -> folium.Map:
    """A folium Map using only local assets; the configured basemap (if any) as its only tile layer."""
    m = folium.Map(
        location=list(location),
        zoom_start=zoom_start,
        tiles=None,
        max_zoom=MAX_ZOOM,
        crs="EPSG3857",
        prefer_canvas=prefer_canvas,
        control_scale=False,  # the page script adds a metric-only scale
        **kwargs,
    )
    m._id = MAP_ID  # (folium names the map's variable and element after it; random by default)
    m.default_js = list(LOCAL_JS)
    m.default_css = list(LOCAL_CSS)
    if basemap and settings.basemap_url:
        folium.TileLayer(
            tiles=settings.basemap_url,
            attr=settings.basemap_attribution or "basemap",
            name="basemap",
            max_zoom=MAX_ZOOM,
            control=False,
        ).add_to(m)
    return m


@dataclass(frozen=True)
class MapParts:
    """A rendered folium map cut into what a page template places: head links, the map div, and its script — served
    as a file by ``/map-script.js`` (no inline script in a page: a Content-Security-Policy forbids them)."""

    name: str  # the JavaScript variable holding the L.Map
    header: str
    html: str
    script: str


def render_parts(m: folium.Map) -> MapParts:
    fig = m.get_root()
    assert isinstance(fig, Figure)  # a folium Map places itself in a Figure
    fig.render()
    return MapParts(m.get_name(), _INLINE_SCRIPT.sub("", fig.header.render()), fig.html.render(), fig.script.render())


_INLINE_TAG = re.compile(r"<(script|style)(?=[\s>])(?![^>]*\bnonce=)", re.IGNORECASE)


def add_nonce(html: str, nonce: str) -> str:
    """folium's ``<script>`` and ``<style>`` tags with the response's CSP nonce (the only inline ones allowed)."""
    return _INLINE_TAG.sub(lambda m: f'<{m.group(1)} nonce="{nonce}"', html)
