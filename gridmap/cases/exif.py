"""A photo's metadata, kept or stripped on purpose: the time it was taken, where (GPS) and its orientation stay —
the location check and a fair display need them — and everything else goes (camera serial numbers, the owner's
name, editing software, XMP, IPTC, comments, thumbnails that may show what was cropped away).

The container is rewritten (JPEG segments, PNG chunks, WebP RIFF chunks); the compressed pixels are copied as they
are, never re-encoded, so the picture is byte-for-byte the one sent and a photo without metadata is stored unchanged.
The colour profile (ICC) and what decoding needs (JFIF, Adobe colour transform, PNG gamma/transparency...) are kept.
"""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image

KEPT_IFD0 = {ExifTags.Base.Orientation, ExifTags.Base.DateTime}
KEPT_EXIF = {
    ExifTags.Base.DateTimeOriginal,
    ExifTags.Base.DateTimeDigitized,
    ExifTags.Base.OffsetTime,
    ExifTags.Base.OffsetTimeOriginal,
    ExifTags.Base.OffsetTimeDigitized,
    ExifTags.Base.SubsecTimeOriginal,
}
EXIF_HEADER = b"Exif\x00\x00"

# JPEG markers kept as they are: everything that is not APPn/COM (tables, frame, restart interval...), plus JFIF
# (APP0), the ICC profile (APP2) and Adobe's colour transform (APP14), which decoding needs.
_JPEG_KEPT_APP = {0xE0: (b"JFIF\x00", b"JFXX\x00"), 0xE2: (b"ICC_PROFILE\x00",), 0xEE: (b"Adobe",)}
# PNG chunks kept: the critical ones, what rendering needs, and APNG's frames.
_PNG_KEPT = {
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"pHYs", b"bKGD",
    b"acTL", b"fcTL", b"fdAT",
}  # fmt: skip
# WebP chunks kept (all but XMP; EXIF is rewritten).
_WEBP_DROPPED = {b"XMP "}


def minimal_exif(raw: bytes) -> bytes | None:
    """Only the kept tags of an EXIF block (``Exif\\0\\0`` + TIFF, or bare TIFF), as ``Exif\\0\\0`` + TIFF; None
    when nothing worth keeping is there (or the block cannot be read: it is dropped, the photo itself is fine)."""
    source = Image.Exif()
    try:
        source.load(raw if raw.startswith(EXIF_HEADER) else EXIF_HEADER + raw)
        kept = Image.Exif()
        for tag in KEPT_IFD0:
            if tag in source:
                kept[tag] = source[tag]
        times = {t: v for t, v in source.get_ifd(ExifTags.IFD.Exif).items() if t in KEPT_EXIF}
        gps = dict(source.get_ifd(ExifTags.IFD.GPSInfo))
        if times:
            kept[ExifTags.IFD.Exif] = times
        if gps:
            kept[ExifTags.IFD.GPSInfo] = gps
        if not len(kept) and not times and not gps:
            return None
        return kept.tobytes()
    except Exception:  # a damaged EXIF block: whatever Pillow raises, it is dropped
        return None


def strip(data: bytes, ext: str) -> bytes:
    """The photo with only the kept metadata (``ext``: jpg, png or webp, already decode-checked)."""
    if ext == "jpg":
        return _strip_jpeg(data)
    if ext == "png":
        return _strip_png(data)
    if ext == "webp":
        return _strip_webp(data)
    raise ValueError(ext)


def _strip_jpeg(data: bytes) -> bytes:
    out = io.BytesIO()
    out.write(data[:2])  # SOI
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            break
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            out.write(data[pos : pos + 2])
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        segment = data[pos : pos + 2 + length]
        body = segment[4:]
        if marker == 0xDA:  # start of scan: the compressed pixels and everything after, as they are
            out.write(data[pos:])
            return out.getvalue()
        if marker == 0xE1 and body.startswith(EXIF_HEADER):
            exif = minimal_exif(body)
            if exif is not None and len(exif) + 2 <= 0xFFFF:
                out.write(b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif)
        elif 0xE0 <= marker <= 0xEF:
            if any(body.startswith(sig) for sig in _JPEG_KEPT_APP.get(marker, ())):
                out.write(segment)
        elif marker != 0xFE:  # COM is dropped; tables and frames are kept
            out.write(segment)
        pos += 2 + length
    out.write(data[pos:])
    return out.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _strip_png(data: bytes) -> bytes:
    out = [data[:8]]
    pos = 8
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if kind in _PNG_KEPT:
            out.append(data[pos:end])
        elif kind == b"eXIf":
            exif = minimal_exif(data[pos + 8 : pos + 8 + length])
            if exif is not None:
                out.append(_png_chunk(b"eXIf", exif[len(EXIF_HEADER) :]))
        pos = end
        if kind == b"IEND":
            break
    return b"".join(out)


def _strip_webp(data: bytes) -> bytes:
    if data[12:16] != b"VP8X":
        return data  # a simple WebP (one VP8/VP8L chunk) holds no metadata
    chunks: list[tuple[bytes, bytes]] = []
    pos = 12
    while pos + 8 <= len(data):
        kind = data[pos : pos + 4]
        (length,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 8 + length + (length & 1)
        if kind in _WEBP_DROPPED:
            continue
        if kind == b"EXIF":
            exif = minimal_exif(body)
            if exif is None:
                continue
            body = exif[len(EXIF_HEADER) :]
        chunks.append((kind, body))
    has_exif = any(kind == b"EXIF" for kind, _ in chunks)
    out = []
    for kind, body in chunks:
        if kind == b"VP8X":
            flags = body[0] & ~0x04  # no XMP
            flags = flags | 0x08 if has_exif else flags & ~0x08
            body = bytes([flags]) + body[1:]
        out.append(kind + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) & 1 else b""))
    payload = b"WEBP" + b"".join(out)
    return b"RIFF" + struct.pack("<I", len(payload)) + payload
