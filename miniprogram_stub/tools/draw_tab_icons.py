"""Draw the tab bar's icons: images/tab/<name>.png (grey outline) and <name>-on.png (green,
filled), 81 x 81 px as WeChat recommends for tab bars, transparent background; and the map
pin of the report page, images/pin.png (60 x 80 px, its tip at the bottom centre).

Run from the repository root with the project's venv (Pillow is a dependency of the API):

    .venv/bin/python miniprogram_stub/tools/draw_tab_icons.py

The PNGs are committed; tests/project.test.js checks that every tab names existing files of
this size. Each icon is drawn 4x larger and scaled down, which smooths its edges.
"""
from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 81
SCALE = 4
OFF = (0x77, 0x77, 0x77, 255)  # app.json tabBar.color
ON = (0x07, 0xC1, 0x60, 255)  # app.json tabBar.selectedColor
OUT = Path(__file__).resolve().parents[1] / "images" / "tab"
LINE = 6  # stroke width at 81 px


def _canvas():
    big = SIZE * SCALE
    return Image.new("RGBA", (big, big), (0, 0, 0, 0)), SCALE


def _box(*xy: float) -> list[float]:
    return [v * SCALE for v in xy]


def home(draw: ImageDraw.ImageDraw, colour, filled: bool) -> None:
    w = LINE * SCALE
    roof = _box(10, 40, 40.5, 12, 71, 40)
    body = _box(18, 38, 63, 70)
    if filled:
        draw.polygon(roof, fill=colour)
        draw.rectangle(body, fill=colour)
        draw.rectangle(_box(34, 50, 47, 70), fill=(0, 0, 0, 0))
    else:
        draw.line(roof, fill=colour, width=w, joint="curve")
        draw.line(_box(18, 40, 18, 70, 63, 70, 63, 40), fill=colour, width=w, joint="curve")
        draw.line(_box(34, 70, 34, 52, 47, 52, 47, 70), fill=colour, width=w, joint="curve")


def report(draw: ImageDraw.ImageDraw, colour, filled: bool) -> None:
    # a camera: the report starts with a photo
    w = LINE * SCALE
    body = _box(9, 24, 72, 66)
    top = _box(28, 14, 53, 26)
    if filled:
        draw.rounded_rectangle(body, radius=8 * SCALE, fill=colour)
        draw.rounded_rectangle(top, radius=3 * SCALE, fill=colour)
        draw.ellipse(_box(27, 31, 54, 58), fill=(255, 255, 255, 255))
        draw.ellipse(_box(33, 37, 48, 52), fill=colour)
    else:
        draw.rounded_rectangle(body, radius=8 * SCALE, outline=colour, width=w)
        draw.line(_box(29, 24, 32, 15, 49, 15, 52, 24), fill=colour, width=w, joint="curve")
        draw.ellipse(_box(27, 31, 54, 58), outline=colour, width=w)


def services(draw: ImageDraw.ImageDraw, colour, filled: bool) -> None:
    # a calendar: appointments at the service centre
    w = LINE * SCALE
    frame = _box(11, 17, 70, 70)
    if filled:
        draw.rounded_rectangle(frame, radius=7 * SCALE, fill=colour)
        draw.rectangle(_box(17, 35, 64, 37), fill=(255, 255, 255, 255))
        for x in (22, 37, 52):
            draw.rectangle(_box(x, 44, x + 8, 51), fill=(255, 255, 255, 255))
            draw.rectangle(_box(x, 56, x + 8, 63), fill=(255, 255, 255, 255))
    else:
        draw.rounded_rectangle(frame, radius=7 * SCALE, outline=colour, width=w)
        draw.line(_box(11, 34, 70, 34), fill=colour, width=w)
        for x in (23, 38, 53):
            draw.rectangle(_box(x, 45, x + 6, 51), fill=colour)
    for x in (26, 55):
        draw.line(_box(x, 9, x, 24), fill=colour, width=w)


def tasks(draw: ImageDraw.ImageDraw, colour, filled: bool) -> None:
    # a clipboard with a tick: a grid worker's tasks
    w = LINE * SCALE
    board = _box(14, 15, 67, 73)
    if filled:
        draw.rounded_rectangle(board, radius=7 * SCALE, fill=colour)
        tick = (255, 255, 255, 255)
    else:
        draw.rounded_rectangle(board, radius=7 * SCALE, outline=colour, width=w)
        tick = colour
    draw.rounded_rectangle(_box(28, 8, 53, 21), radius=4 * SCALE, fill=colour)
    draw.line(_box(26, 45, 36, 55, 55, 35), fill=tick, width=w, joint="curve")


def me(draw: ImageDraw.ImageDraw, colour, filled: bool) -> None:
    w = LINE * SCALE
    head = _box(27, 10, 54, 37)
    if filled:
        draw.ellipse(head, fill=colour)
        draw.pieslice(_box(12, 42, 69, 100), 180, 360, fill=colour)
    else:
        draw.ellipse(head, outline=colour, width=w)
        draw.arc(_box(14, 45, 67, 97), 180, 360, fill=colour, width=w)
        draw.line(_box(14, 71, 67, 71), fill=colour, width=w)


ICONS = {"home": home, "report": report, "services": services, "tasks": tasks, "me": me}


def draw_icon(name: str, colour, filled: bool) -> Image.Image:
    image, _ = _canvas()
    ICONS[name](ImageDraw.Draw(image), colour, filled)
    return image.resize((SIZE, SIZE), Image.LANCZOS)


PIN_RED = (0xE6, 0x43, 0x40, 255)


def draw_pin() -> Image.Image:
    """A map pin: a red drop with a white dot, its tip at the bottom centre."""
    width, height = 60, 80
    image = Image.new("RGBA", (width * SCALE, height * SCALE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse(_box(6, 4, 54, 52), fill=PIN_RED)
    draw.polygon(_box(10, 38, 50, 38, 30, 78), fill=PIN_RED)
    draw.ellipse(_box(20, 18, 40, 38), fill=(255, 255, 255, 255))
    return image.resize((width, height), Image.LANCZOS)


def main(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    pin = out.parent / "pin.png"
    draw_pin().save(pin, optimize=True)
    written.append(pin)
    for name in ICONS:
        for suffix, colour, filled in (("", OFF, False), ("-on", ON, True)):
            path = out / f"{name}{suffix}.png"
            draw_icon(name, colour, filled).save(path, optimize=True)
            written.append(path)
    return written


if __name__ == "__main__":
    for p in main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT):
        print(p)
