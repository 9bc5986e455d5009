"""Photos (issue 11): every upload decoded under a pixel limit (huge, bombed, truncated or fake images refused with
a zh message, nothing stored), metadata kept on purpose (time, position, orientation, colour profile) and the rest
stripped without touching the compressed pixels, and a photo served only to those who may see its case."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms
from sqlalchemy.orm import Session

from gridmap.cases.exif import strip
from gridmap.cases.photos import MAX_PIXELS, check_photos
from gridmap.config import Settings
from gridmap.errors import InvalidInput
from gridmap.web import create_app
from tests.accounts import client_as
from tests.case_helpers import COMPOUND_POINT, JPEG, LAT, PNG, WEBP, build_city, case_settings, counts, image_bytes

ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description Creator="secret owner"/></x:xmpmeta>'
GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (37.0, 31.0, 12.0),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (111.0, 8.0, 24.0),
}


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Model] = "X-1000"
    exif[ExifTags.Base.Artist] = "张三 13800000000"
    exif[ExifTags.Base.Software] = "EditorPro"
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.DateTime] = "2026:03:02 08:50:00"
    exif[ExifTags.IFD.Exif] = {
        ExifTags.Base.DateTimeOriginal: "2026:03:02 08:49:30",
        ExifTags.Base.OffsetTimeOriginal: "+08:00",
        ExifTags.Base.BodySerialNumber: "SN-123456",
        ExifTags.Base.CameraOwnerName: "张三",
    }
    exif[ExifTags.IFD.GPSInfo] = GPS
    return exif


def _photo(fmt: str) -> bytes:
    buf = io.BytesIO()
    img = Image.effect_noise((64, 48), 60).convert("RGB")
    extra: dict[str, object] = {"exif": _exif().tobytes(), "icc_profile": ICC}
    if fmt in ("JPEG", "WEBP"):
        extra["xmp"] = XMP
    if fmt == "PNG":
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_text("Author", "secret owner")
        info.add_itxt("XML:com.adobe.xmp", XMP.decode())
        extra["pnginfo"] = info
    if fmt == "JPEG":
        extra["comment"] = b"shot by secret owner"
    img.save(buf, fmt, **extra)
    return buf.getvalue()


def _pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as img:
        return img.convert("RGB").tobytes()


@pytest.mark.parametrize(("fmt", "ext"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_metadata_is_kept_on_purpose(fmt: str, ext: str) -> None:
    sent = _photo(fmt)
    assert b"secret owner" in sent and b"SN-123456" in sent  # the test image really carries what must go
    [(_, got_ext, kept)] = check_photos([("a", sent)], 5 * 2**20)
    assert got_ext == ext
    for secret in (b"secret owner", b"SN-123456", b"PhoneCo", b"X-1000", b"EditorPro", b"13800000000"):
        assert secret not in kept, secret
    with Image.open(io.BytesIO(kept)) as img:
        img.load()
        exif = img.getexif()
        assert exif[ExifTags.Base.Orientation] == 6
        assert exif[ExifTags.Base.DateTime] == "2026:03:02 08:50:00"
        assert ExifTags.Base.Make not in exif and ExifTags.Base.Artist not in exif
        times = exif.get_ifd(ExifTags.IFD.Exif)
        assert times[ExifTags.Base.DateTimeOriginal] == "2026:03:02 08:49:30"
        assert ExifTags.Base.BodySerialNumber not in times
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        assert gps[ExifTags.GPS.GPSLatitudeRef] == "N" and [float(v) for v in gps[ExifTags.GPS.GPSLongitude]] == [
            111.0, 8.0, 24.0
        ]  # fmt: skip
        assert img.info.get("icc_profile") == ICC
    assert _pixels(kept) == _pixels(sent), "the picture itself is untouched"


def test_jpeg_scan_data_is_byte_identical() -> None:
    sent = _photo("JPEG")
    kept = strip(sent, "jpg")
    scan = sent.index(b"\xff\xda")
    assert kept.endswith(sent[scan:]) and len(kept) < len(sent)


@pytest.mark.parametrize("data", [JPEG, PNG, WEBP, image_bytes("PNG", (3, 3)), image_bytes("JPEG", quality=10)])
def test_a_photo_without_metadata_is_stored_unchanged(data: bytes) -> None:
    [(_, _, kept)] = check_photos([("a", data)], 5 * 2**20)
    assert kept == data


def _png(width: int, height: int, idat: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


BOMB = zlib.compress(b"\x00" * (30 * 2**20), 9)  # 30 MiB of zeros in ~30 kB


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (_png(20000, 20000, BOMB), "像素过多"),  # a zlib bomb behind a PNG signature, 400 megapixels declared
        (_png(8000, 5001, BOMB), "像素过多"),  # just over the limit
        (_png(100, 100, zlib.compress(b"\x00" * 1000)), "无法解码"),  # pixels missing
        (_png(100, 100, b"not zlib at all"), "无法解码"),
        (JPEG[: len(JPEG) // 2], "无法解码"),
        (b"\xff\xd8\xff" + b"\x00" * 500, "无法解码"),  # a JPEG signature and nothing of a JPEG
        (b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 40, "无法解码"),
        (PNG[: len(PNG) // 2], "无法解码"),
    ],
)
def test_images_that_would_cost_memory_or_do_not_decode_are_refused(data: bytes, needle: str) -> None:
    assert MAX_PIXELS < 8000 * 5001
    with pytest.raises(InvalidInput, match=needle):
        check_photos([("x.png", data)], 5 * 2**20)


# -- through the API: refused, nothing stored; served only to those who may see the case -----------------------------


@pytest.fixture
def city(settings: Settings, session: Session, tmp_path) -> dict[str, object]:
    ids = build_city(session)
    session.commit()
    app = create_app(case_settings(settings, tmp_path))
    return {"app": app, "session": session, "ids": ids, "dir": tmp_path}


def _form(lon: float, lat: float, photo: bytes, name: str = "p.jpg") -> dict[str, object]:
    return {
        "lon": str(lon),
        "lat": str(lat),
        "category": "0102",
        "description": "垃圾",
        "photos": (io.BytesIO(photo), name),
    }


def test_a_bomb_is_refused_through_the_api(city) -> None:
    boss = client_as(city["app"], "commander")
    before = counts(city["session"])
    resp = boss.post("/api/v1/reports", data=_form(111.14, LAT, _png(20000, 20000, BOMB), "bomb.png"))
    assert resp.status_code == 400
    assert "像素过多" in resp.get_data(as_text=True) and "bomb.png" in resp.get_data(as_text=True)
    assert counts(city["session"]) == before
    assert not (city["dir"] / "photos").exists() or not any((city["dir"] / "photos").rglob("*.png"))


def test_photos_are_served_only_to_those_who_see_the_case(city) -> None:
    app = city["app"]
    boss = client_as(app, "commander")
    sent = _photo("JPEG")
    answer = boss.post("/api/v1/reports", data=_form(*COMPOUND_POINT, sent)).get_json()  # the compound: unit B's
    case = boss.get(f"/api/v1/cases/{answer['id']}").get_json()
    url = case["events"][0]["photos"][0]["url"]
    got = boss.get(url)
    assert got.status_code == 200 and got.mimetype == "image/jpeg"
    assert b"SN-123456" not in got.data and _pixels(got.data) == _pixels(sent)
    assert client_as(app, "unit_clerk", unit="U-B").get(url).status_code == 200  # the unit that handles it
    assert client_as(app, "unit_clerk", unit="U-A").get(url).status_code == 403  # another unit
    assert client_as(app, "viewer").get(url).status_code == 403
    assert app.test_client().get(url).status_code == 401
    assert boss.get("/api/v1/photos/" + "0" * 64 + ".jpg").status_code == 404  # no case refers to it


def test_a_truncated_photo_is_refused_after_the_notices_pdf_library_is_loaded() -> None:
    """WeasyPrint turns on Pillow's process-wide LOAD_TRUNCATED_IMAGES when imported (a server that has rendered a
    notice has it); a half photo must still be refused."""
    import weasyprint  # noqa: F401  (the import is the point)
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES
    with pytest.raises(InvalidInput, match="无法解码"):
        check_photos([("x.png", _png(100, 100, zlib.compress(b"\x00" * 1000)))], 5 * 2**20)  # pixels missing
    assert ImageFile.LOAD_TRUNCATED_IMAGES  # WeasyPrint's own setting is left as it was
