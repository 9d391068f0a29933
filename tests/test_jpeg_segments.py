"""A JPEG that needs no change keeps its compressed pixels and loses its metadata
(backend/uploads/jpeg_segments.py and the kept path of backend/uploads/images.py);
anything the segment walk cannot vouch for takes the full decode and re-encode."""
from __future__ import annotations

import io
import random

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageCms

from backend.uploads import images
from backend.uploads.images import PhotoError, estimated_quality, process_photo
from backend.uploads.jpeg_segments import without_metadata

LIMITS = {"max_bytes": 10 * 1024 * 1024, "max_pixels": 50_000_000}
# what a decoded copy may say about itself: the JFIF header written here, an ICC profile
ALLOWED_INFO = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "icc_profile",
                "adobe", "adobe_transform", "progressive", "progression"}


def street_scene(width: int = 1280, height: int = 960, seed: int = 1) -> Image.Image:
    """Shapes and a little noise: compresses like a photo, not like flat colour."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([120 + 80 * np.sin(x / 170.0), 110 + 70 * np.cos((x + y) / 210.0),
                     100 + 60 * np.sin(y / 130.0)], axis=-1)
    base += rng.normal(0, 6, base.shape)
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")


def gps_exif() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Orientation] = 1
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N",
                                  ExifTags.GPS.GPSLatitude: (30.0, 39.0, 27.0)}
    return exif.tobytes()


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload


def wechat_photo(**options) -> bytes:
    """A phone's compressed photo as WeChat hands it over: 1280 × 960, quality 80, with
    EXIF (GPS), XMP, a comment, a Photoshop segment and bytes after its end."""
    out = io.BytesIO()
    street_scene().save(out, "JPEG", quality=80, exif=gps_exif(), comment=b"home sweet home",
                        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">30,39.45N</x:xmpmeta>',
                        **options)
    data = out.getvalue()
    photoshop = segment(0xED, b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x05Wang")
    return data[:2] + photoshop + data[2:] + b"PK\x03\x04 an archive after the picture"


def scans(jpeg: bytes) -> bytes:
    """The entropy-coded data of a baseline JPEG (from its scan header to the end marker)."""
    start = jpeg.index(b"\xff\xda")
    return jpeg[start:jpeg.index(b"\xff\xd9", start) + 2]


def pixels(jpeg: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(jpeg)) as img:
        return np.asarray(img.convert("RGB"), dtype=np.int16)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255 ** 2 / mse)


def carries_nothing_but_the_picture(jpeg: bytes, *, strings: bool = True) -> None:
    """Checked with Pillow's own reading of the segments, not with the code under test.
    (``strings``: none of the source's metadata anywhere in the file; a damaged file may
    have turned a metadata segment into a table, which the decoder reads.)"""
    with Image.open(io.BytesIO(jpeg)) as img:
        img.load()
        assert set(img.info) <= ALLOWED_INFO, set(img.info) - ALLOWED_INFO
        for name, payload in img.applist:
            assert (name, payload[:5]) == ("APP0", b"JFIF\x00") or (
                name == "APP2" and payload.startswith(b"ICC_PROFILE\x00")), (name, payload[:16])
    assert jpeg.endswith(b"\xff\xd9")
    for leaked in () if not strings else (b"GPS", b"PhoneMaker", b"xmpmeta", b"home sweet home",
                                          b"8BIM", b"PK\x03\x04"):
        assert leaked not in jpeg


def test_a_wechat_photo_keeps_its_pixels_and_loses_its_metadata():
    source = wechat_photo()
    photo = process_photo(source, **LIMITS)

    assert scans(photo.display) == scans(source)       # the compressed pixels, byte for byte
    assert np.array_equal(pixels(photo.display), pixels(source))
    carries_nothing_but_the_picture(photo.display)
    carries_nothing_but_the_picture(photo.thumb)
    assert (photo.width, photo.height) == (1280, 960)
    assert (photo.thumb_width, photo.thumb_height) == (320, 240)
    assert len(photo.display) < len(source)

    # the thumbnail, decoded at a quarter scale, looks like the full path's
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(images, "_keeps_its_pixels", lambda img: False)
        full = process_photo(source, **LIMITS)
    assert scans(full.display) != scans(source)       # the full path re-encodes
    assert psnr(pixels(photo.thumb), pixels(full.thumb)) > 32
    assert psnr(pixels(photo.display), pixels(full.display)) > 32


def test_a_progressive_photo_is_kept_too():
    source = wechat_photo(progressive=True)
    photo = process_photo(source, **LIMITS)
    assert np.array_equal(pixels(photo.display), pixels(source))
    carries_nothing_but_the_picture(photo.display)


def test_an_rgb_profile_in_several_chunks_stays_whole():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    profile = srgb + b"\x00" * 140_000  # longer than one APP2 segment holds
    source = io.BytesIO()
    street_scene(640, 480).save(source, "JPEG", quality=80, icc_profile=profile)
    assert source.getvalue().count(b"ICC_PROFILE\x00") >= 3
    photo = process_photo(source.getvalue(), **LIMITS)
    with Image.open(io.BytesIO(photo.display)) as out:
        assert out.info["icc_profile"] == profile
    assert scans(photo.display) == scans(source.getvalue())


def test_a_profile_that_is_not_rgb_is_dropped_from_a_kept_photo():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = io.BytesIO()
    street_scene(640, 480).save(source, "JPEG", quality=80,
                                icc_profile=srgb[:16] + b"CMYK" + srgb[20:])
    photo = process_photo(source.getvalue(), **LIMITS)
    assert scans(photo.display) == scans(source.getvalue())
    for jpeg in (photo.display, photo.thumb):
        with Image.open(io.BytesIO(jpeg)) as out:
            assert "icc_profile" not in out.info
    assert b"ICC_PROFILE" not in photo.display


@pytest.mark.parametrize("why", ["quality 95", "orientation 6", "over 1600", "greyscale"])
def test_what_needs_a_change_is_re_encoded(why):
    img, options = street_scene(), {"quality": 80}
    if why == "quality 95":
        options["quality"] = 95
    elif why == "orientation 6":
        exif = Image.Exif()
        exif[ExifTags.Base.Orientation] = 6
        options["exif"] = exif.tobytes()
    elif why == "over 1600":
        img = street_scene(2000, 1000)
    elif why == "greyscale":
        img = img.convert("L")
    out = io.BytesIO()
    img.save(out, "JPEG", **options)
    source = out.getvalue()
    photo = process_photo(source, **LIMITS)
    assert scans(photo.display) != scans(source)
    with Image.open(io.BytesIO(photo.display)) as display:
        assert display.mode == "RGB"
        if why == "orientation 6":
            assert display.size == (960, 1280)


def test_the_quality_estimate_follows_the_encoder():
    for quality in (50, 75, 82, 90, 95):
        out = io.BytesIO()
        street_scene(64, 64).save(out, "JPEG", quality=quality)
        with Image.open(out) as img:
            assert estimated_quality(img) == pytest.approx(quality, abs=1.5)


# --- the segment walk refuses what it cannot vouch for ----------------------------------

def plain_jpeg() -> bytes:
    out = io.BytesIO()
    street_scene(64, 48).save(out, "JPEG", quality=80)
    return out.getvalue()


def frame_at(data: bytes) -> tuple[int, int]:
    start = data.index(b"\xff\xc0")
    return start, start + 2 + int.from_bytes(data[start + 2:start + 4], "big")


def with_frame(data: bytes, change) -> bytes:
    start, end = frame_at(data)
    frame = bytearray(data[start:end])
    change(frame)
    return data[:start] + bytes(frame) + data[end:]


def set_bytes(**at):
    def change(frame: bytearray) -> None:
        for index, value in at.items():
            frame[int(index[1:])] = value
    return change


REFUSED = {
    "bytes between segments": lambda d: d[:2] + b"junk" + d[2:],
    "a segment past the end": lambda d: d[:d.index(b"\xff\xdb") + 2] + b"\xff\xff" + d[
        d.index(b"\xff\xdb") + 4:],
    "no end of image": lambda d: d[:-2],
    "cut in the scan": lambda d: d[:len(d) // 2],
    "two frames": lambda d: d[:frame_at(d)[1]] + d[slice(*frame_at(d))] + d[frame_at(d)[1]:],
    "arithmetic coding": lambda d: with_frame(d, set_bytes(b1=0xC9)),
    "12-bit samples": lambda d: with_frame(d, set_bytes(b4=12)),
    "components tagged R G B": lambda d: with_frame(d, set_bytes(b10=82, b13=71, b16=66)),
    "an Adobe segment": lambda d: d[:2] + segment(0xEE, b"Adobe\x00\x64\x00\x00\x00\x00\x00")
    + d[2:],
    "a second start of image": lambda d: d[:2] + b"\xff\xd8" + d[2:],
    "a restart marker outside a scan": lambda d: d[:2] + b"\xff\xd0" + d[2:],
    "not a JPEG": lambda d: b"\x89PNG" + d[4:],
    "a scan before the frame": lambda d: d[:2] + d[d.index(b"\xff\xda"):],
}


@pytest.mark.parametrize("damage", sorted(REFUSED))
def test_the_walk_refuses(damage):
    data = plain_jpeg()
    assert without_metadata(data, keep_icc=True) is not None
    assert without_metadata(REFUSED[damage](data), keep_icc=True) is None


def test_fill_bytes_before_a_marker_are_allowed_and_not_copied():
    data = plain_jpeg()
    start = data.index(b"\xff\xdb")
    padded = data[:start] + b"\xff\xff\xff" + data[start:]
    assert without_metadata(padded, keep_icc=False) == without_metadata(data, keep_icc=False)


@pytest.mark.parametrize("damage", sorted(REFUSED))
def test_a_refused_walk_falls_back_to_the_full_path(damage):
    """Whatever the walk refuses, process_photo either re-encodes it or refuses it, as
    before the kept path existed."""
    source = io.BytesIO()
    street_scene(320, 240).save(source, "JPEG", quality=80, comment=b"home sweet home")
    data = REFUSED[damage](source.getvalue())
    try:
        photo = process_photo(data, **LIMITS)
    except PhotoError:
        return
    carries_nothing_but_the_picture(photo.display)
    with Image.open(io.BytesIO(photo.display)) as display:
        assert display.mode == "RGB"


def test_damaged_photos_never_leave_metadata_or_crash():
    """Random byte changes and cuts of a kept-path photo: each is refused with a
    PhotoError, or stored without any of its metadata."""
    source = wechat_photo()
    rng = random.Random(22)
    outcomes = {"refused": 0, "stored": 0}
    for _ in range(60):
        data = bytearray(source)
        if rng.random() < 0.3:
            data = data[:rng.randrange(2, len(data))]
        for _ in range(rng.randrange(1, 6)):
            data[rng.randrange(2, len(data))] = rng.randrange(256)
        try:
            photo = process_photo(bytes(data), **LIMITS)
        except PhotoError:
            outcomes["refused"] += 1
            continue
        outcomes["stored"] += 1
        carries_nothing_but_the_picture(photo.display, strings=False)
        carries_nothing_but_the_picture(photo.thumb)
    assert outcomes["stored"] and outcomes["refused"]
