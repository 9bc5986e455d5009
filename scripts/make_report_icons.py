"""Draws the 随手拍 app icons (gridmap/web/static/icon-192.png, icon-512.png) from the design of favicon.svg —
a red rounded square with a white 2×2 grid — with Pillow. Run once when the design changes; the PNGs are committed
(Android's install prompt and iOS's home screen want raster icons of these sizes, not only an SVG)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

STATIC = Path(__file__).resolve().parent.parent / "gridmap" / "web" / "static"
RED, WHITE = (200, 16, 46, 255), (255, 255, 255, 255)  # favicon.svg's #c8102e and #fff
OVERSAMPLE = 4  # drawn 4× larger and scaled down: smooth edges


def icon(size: int) -> Image.Image:
    """favicon.svg (a 16×16 view box) at ``size`` pixels."""
    big = size * OVERSAMPLE
    u = big / 16  # one unit of the view box
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=3 * u, fill=RED)
    half = 0.6 * u  # the stroke is 1.2 wide, centred on the path
    draw.rectangle((4 * u - half, 4 * u - half, 12 * u + half, 12 * u + half), fill=WHITE)
    draw.rectangle((4 * u + half, 4 * u + half, 12 * u - half, 12 * u - half), fill=RED)
    draw.rectangle((8 * u - half, 4 * u, 8 * u + half, 12 * u), fill=WHITE)
    draw.rectangle((4 * u, 8 * u - half, 12 * u, 8 * u + half), fill=WHITE)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    for size in (192, 512):
        icon(size).save(STATIC / f"icon-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
