"""A JPEG's metadata dropped without decoding its pixels (no Flask, no Pillow).

A JPEG is a list of marker segments (ITU T.81, Annex B): tables (DQT, DHT, DRI), the
frame header (SOF), scans (SOS followed by entropy-coded data) and application segments
(APP0–APP15: JFIF, EXIF, XMP, ICC profiles, Photoshop's IRB…) and comments (COM).
``without_metadata`` keeps only what a decoder needs to draw the picture: the tables, the
frame, the scans and, when asked, the ICC profile's APP2 chunks; it writes a fresh JFIF
header (no density, no thumbnail) and stops at the End Of Image marker, so nothing after
it (an appended archive, a second picture) rides along. The compressed pixels are kept
byte for byte: no generation is lost, and it costs a walk over the markers instead of a
decode and an encode.

It is strict on purpose. Anything it does not know to be a plain 8-bit Huffman-coded
JPEG, laid out as T.81 says, answers None, and the caller re-encodes the photo instead
(``backend.uploads.images``): arithmetic, lossless and hierarchical coding, DNL, bytes
between segments, a segment running past the end, a second frame header, no End Of Image,
an Adobe APP14 segment (its colour transform would be lost), components tagged R, G, B
(a JFIF header would make them YCbCr).

What survives is what a decoder reads: an uploader could still hide bytes in a table
nobody uses, as in the pixels themselves; what cameras and apps write about a photo
(EXIF with GPS, XMP, IPTC, comments, thumbnails) never does.

No maintained Python library rewrites a JPEG's segments losslessly (piexif removes only
the EXIF segment; jpegtran is a native program), and this is a few dozen lines over a
published format.
"""
from __future__ import annotations

import re

SOI, EOI, SOS, COM = 0xD8, 0xD9, 0xDA, 0xFE
APP2, APP14 = 0xE2, 0xEE
# baseline, extended sequential and progressive DCT with Huffman coding (the frame's
# precision, 8 bits, is checked on the frame itself)
FRAMES = {0xC0, 0xC1, 0xC2}
TABLES = {0xDB, 0xC4, 0xDD}  # DQT, DHT, DRI
ICC_SIGNATURE = b"ICC_PROFILE\x00"
# JFIF 1.01, no units, 1:1 pixel aspect, no thumbnail: what Pillow itself writes
JFIF = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
# In entropy-coded data 0xFF is followed by 0x00 (a stuffed byte) or a restart marker
# (0xD0–0xD7); any other byte after 0xFF is the next marker (fill bytes 0xFF included).
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")


def without_metadata(data: bytes, *, keep_icc: bool) -> bytes | None:
    """``data`` with only its picture (and ICC profile if ``keep_icc``), or None when the
    file is not a JPEG this function can vouch for (then re-encode it)."""
    if not data.startswith(b"\xff\xd8"):
        return None
    out = [b"\xff\xd8", JFIF]
    pos, end = 2, len(data)
    frames = scans = 0
    while True:
        if pos + 2 > end or data[pos] != 0xFF:
            return None  # the file ends, or bytes stand where a marker must
        while pos + 1 < end and data[pos + 1] == 0xFF:
            pos += 1  # fill bytes before a marker (T.81 B.1.1.2)
        if pos + 2 > end:
            return None
        marker = data[pos + 1]
        if marker == EOI:
            if frames != 1 or scans == 0:
                return None
            out.append(b"\xff\xd9")
            return b"".join(out)
        if 0xD0 <= marker <= 0xD7 or marker in (0x01, SOI) or pos + 4 > end:
            return None  # a restart marker out of a scan, TEM, a second start of image
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        segment_end = pos + 2 + length
        if length < 2 or segment_end > end:
            return None
        segment = data[pos:segment_end]
        if marker in FRAMES:
            frames += 1
            if frames > 1 or not _plain_frame(segment):
                return None
            out.append(segment)
        elif marker in TABLES:
            out.append(segment)
        elif marker == SOS:
            if frames != 1:
                return None
            scans += 1
            found = _NEXT_MARKER.search(data, segment_end)
            if found is None:
                return None  # the scan runs to the end of the file: no End Of Image
            out.append(data[pos:found.start()])
            pos = found.start()
            continue
        elif marker == APP14:
            return None  # Adobe: a colour transform (RGB, CMYK, YCCK) a JFIF header would lose
        elif 0xE0 <= marker <= 0xEF or marker == COM:
            if keep_icc and marker == APP2 and segment[4:16] == ICC_SIGNATURE:
                out.append(segment)
        else:
            return None  # DNL, DAC, other codings, reserved markers
        pos = segment_end


def _plain_frame(segment: bytes) -> bool:
    """An 8-bit frame of one (grey) or three YCbCr components."""
    if len(segment) < 10:
        return False
    precision, components = segment[4], segment[9]
    if precision != 8 or components not in (1, 3) or len(segment) != 10 + 3 * components:
        return False
    ids = bytes(segment[10 + 3 * i] for i in range(components))
    return ids != b"RGB"
