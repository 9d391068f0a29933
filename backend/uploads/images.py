"""Photos made safe to show with Pillow (no Flask): what a resident uploads never leaves as is.

``process_photo`` accepts JPEG, PNG and WebP, judged by the bytes (never by the file name
or the content type), and answers two fresh JPEGs: a display copy (longest side 1600)
and a thumbnail (longest side 320). On the way:

- the pixel count is checked from the header before anything is decoded, so a small file
  that claims 30000 × 30000 pixels costs nothing;
- truncated files fail (``ImageFile.LOAD_TRUNCATED_IMAGES`` stays off);
- JPEGs are decoded at a reduced scale (``draft``) when the source is at least twice the
  display size: the 1/2 (or 1/4, 1/8) DCT decode is much cheaper than a full decode;
  resizing comes before turning and flattening, which then work on fewer pixels;
- the EXIF orientation is applied, then every piece of metadata is dropped: EXIF (GPS
  included), XMP, comments, DPI. Only an RGB ICC colour profile is kept, because dropping
  it would shift the colours of wide-gamut phone photos (Display P3) and it says nothing
  about who took the photo or where;
- transparency is composited on white, the output is RGB.

A JPEG that needs none of that (RGB, upright, within the display size, at most quality
``KEEP_QUALITY_MAX``: what WeChat's compressed photos are) keeps its compressed pixels:
``jpeg_segments.without_metadata`` drops every metadata segment (the ICC rule above
holds) and only the thumbnail is decoded, at a reduced scale, from the copy kept. The
photo loses no generation, and an upload costs about half as much CPU (bench/photo.py).
Anything else about the file (or a file that walk cannot vouch for) takes the full path.
"""
from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass
from typing import BinaryIO, Union

from PIL import Image, ImageOps

from backend.uploads.jpeg_segments import without_metadata

FORMATS = ("JPEG", "PNG", "WEBP")
DISPLAY_MAX = 1600
THUMB_MAX = 320
JPEG_QUALITY = 82
ORIENTATION = 0x0112  # the EXIF tag
# A JPEG above this (estimated) quality is re-encoded at JPEG_QUALITY even when it could be
# kept: its bytes would cost a grid worker's phone more than the picture gains.
KEEP_QUALITY_MAX = 90
# The IJG luminance quantisation table (ITU T.81, Annex K), natural order: a JPEG's own
# table against it gives its quality on the IJG scale.
_IJG_LUMINANCE = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)

# Pillow warns, then errors at twice the limit; for photos the warning is an error too.
# (Process-wide on purpose; the explicit width × height check below does not rely on it.)
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)

# Magic numbers of image formats we recognise but do not accept, so the resident can be
# told "GIF is not supported" rather than "this is not an image".
_OTHER_SIGNATURES = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
    (b"8BPS", "PSD"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
)
_ISO_IMAGE_BRANDS = {
    b"heic": "HEIC", b"heix": "HEIC", b"heim": "HEIC", b"heis": "HEIC",
    b"hevc": "HEIC", b"mif1": "HEIF", b"msf1": "HEIF", b"avif": "AVIF", b"avis": "AVIF",
}


class PhotoError(Exception):
    """The upload cannot be used as a photo. ``kind`` says why:

    too_large, not_an_image, unsupported_format, too_many_pixels, truncated, unreadable.
    ``detail`` carries the format name for unsupported_format.
    """

    KINDS = ("too_large", "not_an_image", "unsupported_format", "too_many_pixels",
             "truncated", "unreadable")

    def __init__(self, kind: str, detail: str | None = None) -> None:
        assert kind in self.KINDS, kind
        super().__init__(kind if detail is None else f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class ProcessedPhoto:
    display: bytes
    thumb: bytes
    width: int
    height: int
    thumb_width: int
    thumb_height: int
    source_format: str


def _read_capped(source: Union[bytes, bytearray, memoryview, BinaryIO], max_bytes: int) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        # Never read more than one byte past the cap, whatever the stream holds.
        data = source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PhotoError("too_large")
    return data


def _unsupported_format(head: bytes) -> str | None:
    for signature, name in _OTHER_SIGNATURES:
        if head.startswith(signature):
            return name
    if head[4:8] == b"ftyp":
        return _ISO_IMAGE_BRANDS.get(head[8:12])
    return None


def _fit(width: int, height: int, longest: int) -> tuple[int, int]:
    """The size that fits ``longest`` on the longer side, never larger than the source."""
    scale = min(1.0, longest / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _accepted_signature(data: bytes) -> bool:
    return (data.startswith(b"\xff\xd8") or data.startswith(b"\x89PNG\r\n\x1a\n")
            or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"))


def _looks_truncated(data: bytes) -> bool:
    """Whether the file stops before its format says it ends (asked once decoding failed)."""
    if data.startswith(b"\xff\xd8"):
        return not data.rstrip(b"\x00").endswith(b"\xff\xd9")  # no End Of Image marker
    if data.startswith(b"\x89PNG"):
        return b"IEND" not in data[-12:]
    if data[:4] == b"RIFF":
        return len(data) < int.from_bytes(data[4:8], "little") + 8  # the RIFF size
    return False


def _damaged(data: bytes, exc: BaseException | None = None) -> PhotoError:
    truncated = _looks_truncated(data) or (
        exc is not None and ("truncated" in str(exc).lower() or isinstance(exc, EOFError)))
    return PhotoError("truncated" if truncated else "unreadable")


def _open(data: bytes, max_pixels: int) -> Image.Image:
    try:
        img = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError("too_many_pixels") from None
    except Image.UnidentifiedImageError as exc:
        if _accepted_signature(data):
            raise _damaged(data, exc) from None
        other = _unsupported_format(data[:16])
        if other:
            raise PhotoError("unsupported_format", other) from None
        raise PhotoError("not_an_image") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise _damaged(data, exc) from None
    width, height = img.size
    limit = max_pixels
    if Image.MAX_IMAGE_PIXELS is not None:
        limit = min(limit, Image.MAX_IMAGE_PIXELS)
    if width < 1 or height < 1 or width * height > limit:
        img.close()
        raise PhotoError("too_many_pixels")
    return img


def _decode(img: Image.Image, data: bytes) -> None:
    """Decode the pixels, at a reduced scale for large JPEGs."""
    if img.format in ("JPEG", "MPO"):  # MPO: a phone's multi-picture JPEG (first picture)
        # draft() must come before load(). It keeps the image at least the requested size,
        # so asking for the display size picks the largest DCT scale (1/2, 1/4, 1/8) that
        # still leaves enough pixels: a 4000 × 3000 photo decodes at 2000 × 1500. The size
        # is asked in the stored orientation; a 90° turn later swaps both sides alike.
        img.draft("RGB", _fit(*img.size, DISPLAY_MAX))
    try:
        img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError("too_many_pixels") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        # JPEG: "image file is truncated"; PNG: EOFError or "broken data stream"
        raise _damaged(data, exc) from None


def _resizable(img: Image.Image) -> Image.Image:
    """RGB, RGBA, L or LA: modes Pillow resizes with a real filter (P and 1 get NEAREST).

    ``convert`` keeps ``info``, so the EXIF orientation travels with the pixels.
    """
    if img.mode in ("RGB", "RGBA", "L", "LA"):
        return img
    if img.mode.startswith("I"):
        # 16-bit greyscale (PNG): scale to 8 bits rather than clipping everything to white
        info = img.info
        img = img.convert("I").point(lambda v: v * (1 / 256)).convert("L")
        img.info = info
    if "transparency" in img.info:
        # a palette entry or a single colour (PNG tRNS) marked transparent
        return img.convert("RGBA")
    if img.mode in ("RGB", "RGBA", "L", "LA"):
        return img
    if img.mode in ("PA", "La", "RGBa"):
        return img.convert("RGBA")
    return img.convert("RGB")


def _flatten(img: Image.Image) -> Image.Image:
    """RGB; transparency composited on white."""
    if img.mode == "RGB":
        return img
    if img.mode in ("RGBA", "LA"):
        rgba = img.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return img.convert("RGB")


def _rgb_icc_profile(img: Image.Image) -> bytes | None:
    icc = img.info.get("icc_profile")
    # Bytes 16–19 of an ICC header name its colour space; a CMYK or grey profile
    # would be wrong on the RGB output.
    if isinstance(icc, bytes) and len(icc) >= 128 and icc[16:20] == b"RGB ":
        return icc
    return None


def _jpeg(img: Image.Image, icc: bytes | None, *, optimize: bool) -> bytes:
    out = io.BytesIO()
    img.info = {}  # nothing of the source (comments, EXIF, XMP, DPI) can ride along
    # Baseline JPEG. Progressive was measured: twice the encoding time for a file 1 %
    # smaller, and <image> shows the photo only once loaded. Optimised Huffman tables
    # (a second pass over the coefficients) were measured on a 1280 × 960 phone copy:
    # 12.2 ms against 4.2 ms for a file 6 % smaller; the display copy goes without them,
    # the thumbnail (a millisecond either way) with them.
    options = {"quality": JPEG_QUALITY, "optimize": optimize}
    if icc:
        options["icc_profile"] = icc
    img.save(out, "JPEG", **options)
    return out.getvalue()


def _resize(img: Image.Image, size: tuple[int, int], resample: Image.Resampling,
            reducing_gap: float = 2.0) -> Image.Image:
    if img.size == size:
        return img
    # reducing_gap: a cheap box reduction first, then the filter over the last factor
    # (at least ``reducing_gap``)
    return img.resize(size, resample, reducing_gap=reducing_gap)


def estimated_quality(img: Image.Image) -> float | None:
    """A JPEG's quality on the IJG scale (1–100), from its luminance table; None without one."""
    tables = getattr(img, "quantization", None) or {}
    table = tables.get(0)
    if not table or len(table) != 64:
        return None
    scale = 100 * sum(table) / sum(_IJG_LUMINANCE)  # IJG: 200 - 2q above 50, 5000 / q below
    return (200 - scale) / 2 if scale <= 100 else 5000 / scale


def _keeps_its_pixels(img: Image.Image) -> bool:
    """Whether the full path would only decode and re-encode this JPEG, changing nothing."""
    if img.format != "JPEG" or img.mode != "RGB" or max(img.size) > DISPLAY_MAX:
        return False
    quality = estimated_quality(img)
    if quality is None or quality > KEEP_QUALITY_MAX:
        return False
    try:
        # what exif_transpose reads: EXIF's orientation, else XMP's
        return img.getexif().get(ORIENTATION, 1) == 1
    except Exception:  # a damaged EXIF block: the full path decides  # noqa: BLE001
        return False


def _kept(img: Image.Image, data: bytes, icc: bytes | None,
          source_format: str) -> ProcessedPhoto | None:
    """The photo with its compressed pixels kept, or None (then take the full path).

    The thumbnail is decoded from the very bytes kept, so a copy that would not decode is
    never stored: it falls back to the full path, which judges the original.
    """
    display = without_metadata(data, keep_icc=icc is not None)
    if display is None:
        return None
    width, height = img.size
    size = _fit(width, height, THUMB_MAX)
    try:
        with Image.open(io.BytesIO(display), formats=["JPEG"]) as kept:
            if kept.size != img.size or kept.mode != "RGB":
                return None
            kept.draft("RGB", size)  # the DCT scale (1/2 … 1/8) nearest above the thumbnail
            kept.load()
            thumb = _resize(kept, size, Image.Resampling.LANCZOS, reducing_gap=1.0)
            thumb_bytes = _jpeg(thumb, icc, optimize=True)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError("too_many_pixels") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error):
        return None
    return ProcessedPhoto(display=display, thumb=thumb_bytes, width=width, height=height,
                          thumb_width=size[0], thumb_height=size[1],
                          source_format=source_format)


def process_photo(source: Union[bytes, BinaryIO], *, max_bytes: int,
                  max_pixels: int) -> ProcessedPhoto:
    """A photo as a display JPEG and a thumbnail JPEG, or raise ``PhotoError``."""
    data = _read_capped(source, max_bytes)
    if not data:
        raise PhotoError("not_an_image")
    img = _open(data, max_pixels)
    try:
        source_format = img.format or "?"
        icc = _rgb_icc_profile(img)
        if _keeps_its_pixels(img):
            photo = _kept(img, data, icc, source_format)
            if photo is not None:
                return photo
        _decode(img, data)
        # Resize first, then turn and flatten the smaller image: the same result for less
        # work. The resized copy keeps ``info``, where exif_transpose reads the orientation.
        # After a reduced JPEG decode at most a factor of 2 is left. Pillow's bilinear is
        # antialiased (a triangle filter widened by the scale); against a full decode
        # resized with Lanczos it measured 42 dB PSNR, as Lanczos itself did from the
        # reduced decode, at half the cost. The thumbnail, 5× smaller, gets Lanczos after a
        # box reduction by the whole factor (reducing_gap 1): 1.1 ms instead of 5.5 ms from
        # a 1280 × 960 copy, 42 dB PSNR against Lanczos over the full image.
        display = _resize(_resizable(img), _fit(*img.size, DISPLAY_MAX),
                          Image.Resampling.BILINEAR)
        ImageOps.exif_transpose(display, in_place=True)
        display = _flatten(display)
        thumb = _resize(display, _fit(*display.size, THUMB_MAX), Image.Resampling.LANCZOS,
                        reducing_gap=1.0)
        return ProcessedPhoto(
            display=_jpeg(display, icc, optimize=False), thumb=_jpeg(thumb, icc, optimize=True),
            width=display.width, height=display.height,
            thumb_width=thumb.width, thumb_height=thumb.height,
            source_format=source_format,
        )
    finally:
        img.close()
