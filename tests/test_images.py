"""The photo pipeline on real files made here with Pillow: orientation, metadata removal,
decompression bombs, formats that are refused, damaged files, sizes and colours."""
from __future__ import annotations

import io
import struct
import time
import warnings
import zlib

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageCms, ImageFile, features

from backend.uploads.images import PhotoError, ProcessedPhoto, process_photo

MB = 1024 * 1024
LIMITS = {"max_bytes": 10 * MB, "max_pixels": 50_000_000}
RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)


def encode(img: Image.Image, fmt: str = "JPEG", **options) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


def noisy(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), "RGB")


def process(data: bytes, **limits) -> ProcessedPhoto:
    return process_photo(data, **{**LIMITS, **limits})


def refused(data: bytes, **limits) -> PhotoError:
    with pytest.raises(PhotoError) as info:
        process(data, **limits)
    return info.value


def opened(jpeg: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(jpeg))
    assert img.format == "JPEG"
    img.load()
    return img


def close_to(pixel, colour, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour))


# --- orientation and metadata ----------------------------------------------------------

@pytest.mark.parametrize("size", [(400, 200), (4000, 2000)])
def test_exif_orientation_6_comes_out_upright(size):
    """Stored landscape with orientation 6 (turn 90° clockwise to view): the output is
    portrait, and the red corner stored at the top left ends at the top right.
    The large size goes through the reduced (draft) JPEG decode."""
    width, height = size
    img = Image.new("RGB", size, BLUE)
    img.paste(RED, (0, 0, width // 4, height // 4))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    photo = process(encode(img, exif=exif.tobytes(), quality=95))

    expected = (height, width) if width <= 1600 else (800, 1600)
    assert (photo.width, photo.height) == expected
    out = opened(photo.display)
    assert out.size == expected
    w, h = out.size
    assert close_to(out.getpixel((w - 5, 5)), RED)          # top right
    assert close_to(out.getpixel((5, 5)), BLUE)             # top left
    assert close_to(out.getpixel((w - 5, h - 5)), BLUE)     # bottom right
    thumb = opened(photo.thumb)
    assert thumb.height > thumb.width
    assert close_to(thumb.getpixel((thumb.width - 3, 3)), RED)
    assert ExifTags.Base.Orientation not in out.getexif()


def test_gps_exif_xmp_and_comments_are_all_removed():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 12"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (30.0, 39.0, 27.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (104.0, 4.0, 12.0),
    }
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/'
           b'1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/'
           b'exif/1.0/" exif:GPSLatitude="30,39.45N"/></rdf:RDF></x:xmpmeta>')
    source = encode(noisy(800, 600), exif=exif.tobytes(), xmp=xmp, comment=b"home sweet home")
    # the source really carries all of it
    src = Image.open(io.BytesIO(source))
    assert src.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"GPS" in source and b"home sweet home" in source and b"xmpmeta" in source

    photo = process(source)
    for jpeg in (photo.display, photo.thumb):
        out = opened(jpeg)
        assert len(out.getexif()) == 0
        assert not {"exif", "xmp", "comment", "dpi"} & set(out.info)
        assert b"Exif\x00\x00" not in jpeg
        assert b"GPS" not in jpeg
        assert b"PhoneMaker" not in jpeg and b"Phone 12" not in jpeg
        assert b"xmpmeta" not in jpeg and b"http://ns.adobe.com" not in jpeg
        assert b"home sweet home" not in jpeg
        assert b"\xff\xe1" not in jpeg[:2048]   # no APP1 segment (EXIF, XMP) at all


def test_an_rgb_colour_profile_is_kept_a_cmyk_one_is_not():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    photo = process(encode(noisy(300, 200), icc_profile=srgb))
    assert opened(photo.display).info.get("icc_profile") == srgb

    cmyk = Image.new("CMYK", (300, 200), (0, 255, 255, 0))  # red in CMYK
    fake_cmyk_profile = srgb[:16] + b"CMYK" + srgb[20:]
    photo = process(encode(cmyk, icc_profile=fake_cmyk_profile))
    out = opened(photo.display)
    assert out.mode == "RGB" and "icc_profile" not in out.info
    assert close_to(out.getpixel((150, 100)), RED, 60)


# --- decompression bombs ---------------------------------------------------------------

def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` × ``height`` (1-bit grey) and carries a few rows."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * ((width + 7) // 8 + 1) * 4)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows)
            + chunk(b"IEND", b""))


@pytest.fixture
def no_decoding(monkeypatch):
    """Decoding pixels fails the test: refusals must come from the header alone."""
    def refuse(self, *args, **kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    monkeypatch.setattr(Image.Image, "load", refuse)


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("width, height", [(30000, 30000), (60000, 1000), (12000, 9000)])
def test_a_decompression_bomb_is_refused_from_its_header(no_decoding, width, height):
    bomb = png_header_only(width, height)
    assert len(bomb) < 50_000
    start = time.perf_counter()
    assert refused(bomb).kind == "too_many_pixels"
    assert time.perf_counter() - start < 0.5


def test_the_configured_pixel_limit_applies_below_pillows_own(no_decoding):
    assert refused(png_header_only(2000, 1000), max_pixels=1_000_000).kind == "too_many_pixels"


# "error" as backend.uploads.images sets it; "ignore" should anything reset the filters
@pytest.mark.parametrize("action", ["error", "ignore"])
def test_above_pillows_warning_threshold_even_with_a_higher_limit(no_decoding, action):
    """Between Pillow's warning (89 MP) and error (179 MP) thresholds, with a limit set
    higher than both: still refused, never decoded, whatever the warnings filter."""
    bomb = png_header_only(10000, 10000)  # 100 MP
    with warnings.catch_warnings():
        warnings.simplefilter(action, Image.DecompressionBombWarning)
        assert refused(bomb, max_pixels=500_000_000).kind == "too_many_pixels"


SMALL_JPEG = encode(Image.new("RGB", (16, 16), RED))


def test_a_big_jpeg_bomb_is_refused_without_decoding(no_decoding):
    # a real (small) JPEG whose frame header is rewritten to claim 40000 × 40000
    data = bytearray(SMALL_JPEG)
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, 40000, 40000)
    assert refused(bytes(data)).kind == "too_many_pixels"


# --- what is refused -------------------------------------------------------------------

def test_text_is_not_an_image_whatever_its_name():
    assert refused(b"this is not a photo, just text that says photo.jpg\n" * 20).kind \
        == "not_an_image"
    assert refused(b"").kind == "not_an_image"


@pytest.mark.parametrize("fmt, name", [("GIF", "GIF"), ("BMP", "BMP"), ("TIFF", "TIFF")])
def test_other_image_formats_are_unsupported(fmt, name):
    error = refused(encode(Image.new("RGB", (50, 40), RED), fmt))
    assert error.kind == "unsupported_format"
    assert error.detail == name


def test_heic_is_recognised_as_unsupported():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 100
    error = refused(heic)
    assert (error.kind, error.detail) == ("unsupported_format", "HEIC")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_file_cut_in_half_is_truncated(fmt):
    data = encode(noisy(800, 600), fmt)
    assert refused(data[: len(data) // 2]).kind == "truncated"


def test_truncated_images_stay_refused():
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_a_complete_file_with_corrupt_data_is_unreadable():
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
           + chunk(b"IDAT", b"this is not zlib data at all" * 10) + chunk(b"IEND", b""))
    assert refused(png).kind == "unreadable"


def test_over_the_byte_cap():
    data = encode(noisy(600, 600), quality=95)
    assert refused(data, max_bytes=len(data) - 1).kind == "too_large"
    assert process(data, max_bytes=len(data)).width == 600


def test_a_stream_is_read_no_further_than_the_cap():
    class Endless(io.RawIOBase):
        read_sizes: list[int] = []

        def readable(self):
            return True

        def read(self, size=-1):
            assert size is not None and size >= 0, "unbounded read"
            self.read_sizes.append(size)
            return b"\xff" * size

    stream = Endless()
    assert refused(stream, max_bytes=MB).kind == "too_large"
    assert stream.read_sizes == [MB + 1]


# --- sizes and colours -----------------------------------------------------------------

def test_a_12_megapixel_photo_gives_1600_and_320():
    photo = process(encode(noisy(4000, 3000), quality=85))
    assert (photo.width, photo.height) == (1600, 1200)
    assert (photo.thumb_width, photo.thumb_height) == (320, 240)
    assert opened(photo.display).size == (1600, 1200)
    assert opened(photo.thumb).size == (320, 240)
    assert photo.source_format == "JPEG"


def test_a_small_image_is_not_upscaled():
    photo = process(encode(Image.new("RGB", (100, 80), RED)))
    assert (photo.width, photo.height) == (100, 80)
    assert (photo.thumb_width, photo.thumb_height) == (100, 80)
    assert opened(photo.display).size == (100, 80)


def test_png_with_alpha_becomes_a_jpeg_on_white():
    img = Image.new("RGBA", (200, 100), (0, 0, 0, 0))        # fully transparent black
    img.paste((255, 0, 0, 255), (0, 0, 100, 100))            # opaque red left half
    photo = process(encode(img, "PNG"))
    out = opened(photo.display)
    assert out.mode == "RGB"
    assert close_to(out.getpixel((150, 50)), WHITE, 8)
    assert close_to(out.getpixel((50, 50)), RED, 30)
    assert photo.source_format == "PNG"


def test_a_palette_png_with_a_transparent_entry_is_on_white():
    img = Image.new("P", (100, 100), 0)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    img.paste(1, (0, 0, 50, 100))
    photo = process(encode(img, "PNG", transparency=0))
    out = opened(photo.display)
    assert close_to(out.getpixel((75, 50)), WHITE, 8)
    assert close_to(out.getpixel((25, 50)), RED, 30)


def test_a_16_bit_grey_png_keeps_its_tones():
    ramp = np.tile(np.linspace(0, 65535, 256, dtype=np.uint16), (64, 1))
    img = Image.fromarray(ramp)  # mode I;16
    photo = process(encode(img, "PNG"))
    out = opened(photo.display).convert("L")
    assert out.getpixel((2, 32)) < 20 and out.getpixel((128, 32)) in range(100, 160)
    assert out.getpixel((253, 32)) > 235


@pytest.mark.skipif(not features.check("webp"), reason="Pillow built without WebP")
def test_webp_input_works():
    img = Image.new("RGB", (640, 480), BLUE)
    img.paste(RED, (0, 0, 320, 480))
    photo = process(encode(img, "WEBP", quality=90))
    out = opened(photo.display)
    assert out.size == (640, 480)
    assert close_to(out.getpixel((100, 240)), RED) and close_to(out.getpixel((500, 240)), BLUE)
    assert photo.source_format == "WEBP"


def test_greyscale_and_cmyk_jpegs_come_out_rgb():
    for img in (Image.new("L", (60, 40), 128), Image.new("CMYK", (60, 40), (0, 0, 0, 0))):
        out = opened(process(encode(img)).display)
        assert out.mode == "RGB"


def test_a_bytes_like_or_a_stream_give_the_same_photo():
    data = encode(noisy(300, 200))
    assert process(data) == process_photo(io.BytesIO(data), **LIMITS)


def test_a_multi_picture_jpeg_gives_its_first_picture():
    """Some phones save MPO (a JPEG followed by more pictures); Pillow opens it as JPEG."""
    first, second = Image.new("RGB", (3400, 2000), RED), Image.new("RGB", (3400, 2000), BLUE)
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[second])
    photo = process(out.getvalue())
    assert (photo.width, photo.height) == (1600, 941)
    assert close_to(opened(photo.display).getpixel((800, 470)), RED)
