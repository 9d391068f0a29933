"""Photos for the demo tickets, drawn with Pillow when the seed runs (nothing downloaded,
no image files in the repository).

Each photo is a simple scene of what the report is about: a dark stairwell and its lamp, a
road with an open manhole, rubbish piled by a gate … A resident's report shows the
problem; the handler's after-photo is the same place put right (``fixed``). Shapes, colours
and the light move with ``seed``, and a little sensor noise goes over everything, so no
two photos are alike. The bytes are a JPEG, handed to the real upload pipeline like any
photo from a phone.
"""
from __future__ import annotations

import functools
import io
import math
import random
from typing import Callable

from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 640, 480
HORIZON = 250

Colour = tuple[int, int, int]
Painter = Callable[[ImageDraw.ImageDraw, random.Random, bool], None]


def _mix(a: Colour, b: Colour, t: float) -> Colour:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))  # type: ignore[return-value]


def _jitter(colour: Colour, rng: random.Random, amount: int = 18) -> Colour:
    return tuple(max(0, min(255, c + rng.randint(-amount, amount)))  # type: ignore[return-value]
                 for c in colour)


def _gradient(draw: ImageDraw.ImageDraw, top: Colour, bottom: Colour, y0: int, y1: int) -> None:
    for y in range(y0, y1):
        draw.line([(0, y), (WIDTH, y)], fill=_mix(top, bottom, (y - y0) / max(1, y1 - y0)))


def _outdoors(draw: ImageDraw.ImageDraw, rng: random.Random, dusk: bool = False) -> None:
    """Sky, a row of residential blocks with windows, the pavement and the road."""
    sky_top = (38, 52, 92) if dusk else _jitter((120, 165, 215), rng)
    sky_low = (214, 138, 96) if dusk else _jitter((205, 222, 236), rng, 10)
    _gradient(draw, sky_top, sky_low, 0, HORIZON)
    x = rng.randint(-40, 0)
    while x < WIDTH:
        w, h = rng.randint(70, 140), rng.randint(90, 200)
        wall = _jitter(rng.choice([(196, 186, 170), (170, 160, 150), (210, 200, 188),
                                   (150, 155, 160)]), rng, 12)
        if dusk:
            wall = _mix(wall, (40, 40, 60), 0.55)
        draw.rectangle([x, HORIZON - h, x + w, HORIZON], fill=wall)
        for wy in range(HORIZON - h + 12, HORIZON - 14, 22):
            for wx in range(x + 8, x + w - 14, 20):
                lit = dusk and rng.random() < 0.45
                draw.rectangle([wx, wy, wx + 9, wy + 11],
                               fill=(250, 214, 120) if lit else _mix(wall, (60, 70, 90), 0.5))
        x += w + rng.randint(4, 18)
    _gradient(draw, (150, 150, 146), (176, 174, 168), HORIZON, HORIZON + 40)  # pavement
    _gradient(draw, (92, 94, 98), (62, 64, 68), HORIZON + 40, HEIGHT)  # road
    for y in range(HORIZON + 46, HEIGHT, 14):  # paving joints, in perspective
        draw.line([(0, y), (WIDTH, y)], fill=(70, 72, 76), width=1)


def _stairwell(draw: ImageDraw.ImageDraw, rng: random.Random, fixed: bool) -> None:
    light = fixed
    wall = (214, 206, 188) if light else (58, 56, 54)
    _gradient(draw, _mix(wall, (0, 0, 0), 0.15), wall, 0, HEIGHT)
    cx = WIDTH // 2 + rng.randint(-60, 60)
    # the flight of stairs going up, in perspective
    for i in range(9):
        y = HEIGHT - i * 34
        inset = i * 22
        tone = _mix((150, 146, 140) if light else (40, 39, 38), (0, 0, 0), i * 0.04)
        draw.rectangle([cx - 230 + inset, y - 34, cx + 230 - inset, y], fill=tone)
        draw.line([(cx - 230 + inset, y - 34), (cx + 230 - inset, y - 34)],
                  fill=_mix(tone, (255, 255, 255), 0.2), width=2)
    draw.line([(cx + 200, HEIGHT), (cx + 40, 120)], fill=(90, 60, 40), width=6)  # handrail
    lamp = (cx + rng.randint(-30, 30), 40)
    if light:
        for r in range(120, 10, -10):
            draw.ellipse([lamp[0] - r, lamp[1] - r, lamp[0] + r, lamp[1] + r],
                         fill=_mix(wall, (255, 250, 215), 1 - r / 130))
    draw.ellipse([lamp[0] - 18, lamp[1] - 12, lamp[0] + 18, lamp[1] + 12],
                 fill=(255, 252, 225) if light else (95, 95, 90))


def _manhole(draw: ImageDraw.ImageDraw, rng: random.Random, fixed: bool) -> None:
    _outdoors(draw, rng)
    cx, cy = WIDTH // 2 + rng.randint(-120, 120), HORIZON + 140 + rng.randint(-20, 30)
    box = [cx - 95, cy - 32, cx + 95, cy + 32]
    if fixed:
        draw.ellipse(box, fill=(58, 60, 62), outline=(40, 40, 42), width=4)
        for r in (70, 45, 20):
            draw.ellipse([cx - r, cy - r / 3, cx + r, cy + r / 3], outline=(78, 80, 84), width=3)
    else:
        draw.ellipse(box, fill=(12, 12, 14), outline=(120, 118, 110), width=5)
        for i in range(3):  # a warning cone someone put beside it
            x = cx + 120 + i * 6
            draw.polygon([(x, cy - 60), (x - 22, cy + 10), (x + 22, cy + 10)],
                         fill=(240, 110, 30))


def _sewer(draw: ImageDraw.ImageDraw, rng: random.Random, fixed: bool) -> None:
    _outdoors(draw, rng)
    cx, cy = WIDTH // 2 + rng.randint(-140, 140), HORIZON + 120
    draw.rectangle([cx - 40, cy - 14, cx + 40, cy + 14], fill=(30, 30, 32))
    for x in range(cx - 36, cx + 36, 9):  # the grate
        draw.line([(x, cy - 12), (x, cy + 12)], fill=(95, 95, 98), width=3)
    if not fixed:
        points = [(cx + rng.randint(-260, -120), cy + rng.randint(-30, 90)) for _ in range(3)]
        points += [(cx + rng.randint(120, 260), cy + rng.randint(-30, 90)) for _ in range(3)]
        points.sort(key=lambda p: p[0])
        draw.polygon(points[:3] + points[:2:-1], fill=(92, 84, 58))  # the overflowing water
        draw.ellipse([cx - 200, cy - 20, cx + 220, cy + 110], fill=(104, 96, 66))


def _rubbish(draw: ImageDraw.ImageDraw, rng: random.Random, fixed: bool) -> None:
    _outdoors(draw, rng)
    base = HORIZON + 60
    if fixed:
        for i in range(2):  # the bins, emptied, by a clean kerb
            x = 140 + i * 90 + rng.randint(-10, 10)
            draw.rectangle([x, base - 70, x + 70, base + 20], fill=(40, 130, 70))
            draw.rectangle([x - 4, base - 80, x + 74, base - 68], fill=(30, 100, 55))
        return
    for _ in range(38):
        x, y = rng.randint(60, WIDTH - 60), base + rng.randint(-40, 90)
        w, h = rng.randint(20, 70), rng.randint(14, 50)
        colour = rng.choice([(210, 205, 195), (120, 100, 80), (60, 90, 160), (200, 60, 50),
                             (230, 230, 230), (90, 90, 90), (170, 140, 90)])
        draw.polygon([(x, y), (x + w, y + rng.randint(-8, 8)), (x + w - 6, y + h),
                      (x + rng.randint(-6, 6), y + h - 4)], fill=_jitter(colour, rng))


def _street_light(draw: ImageDraw.ImageDraw, rng: random.Random, fixed: bool) -> None:
    _outdoors(draw, rng, dusk=True)
    x = rng.randint(160, WIDTH - 160)
    draw.rectangle([x - 5, 90, x + 5, HORIZON + 40], fill=(70, 74, 80))
    draw.line([(x, 92), (x + 60, 80)], fill=(70, 74, 80), width=6)
    head = (x + 64, 86)
    if fixed:  # the pool of light on the pavement, then the glow round the lamp
        for r in range(160, 10, -15):
            draw.ellipse([head[0] - r, HORIZON + 40 - r // 5, head[0] + r, HORIZON + 40 + r // 3],
                         fill=_mix((110, 108, 104), (236, 214, 160), 1 - r / 170))
        for r in range(60, 8, -8):
            draw.ellipse([head[0] - r, head[1] - r, head[0] + r, head[1] + r],
                         fill=_mix((70, 60, 80), (255, 230, 160), 1 - r / 64))
    draw.ellipse([head[0] - 16, head[1] - 6, head[0] + 16, head[1] + 8],
                 fill=(255, 238, 180) if fixed else (60, 60, 64))


def _fitness(draw: ImageDraw.ImageDraw, rng: random.Random, fixed: bool) -> None:
    _outdoors(draw, rng)
    draw.rectangle([0, HORIZON + 40, WIDTH, HEIGHT], fill=_jitter((90, 140, 70), rng))  # lawn
    x0 = rng.randint(120, 260)
    yellow, blue = (240, 196, 40), (40, 110, 190)
    draw.rectangle([x0, HORIZON - 60, x0 + 12, HORIZON + 130], fill=blue)
    draw.rectangle([x0 + 200, HORIZON - 60, x0 + 212, HORIZON + 130], fill=blue)
    draw.rectangle([x0, HORIZON - 66, x0 + 212, HORIZON - 54], fill=yellow)
    if fixed:
        draw.line([(x0 + 60, HORIZON - 54), (x0 + 60, HORIZON + 90)], fill=yellow, width=10)
    else:  # the handrail broke off and lies in the grass
        draw.line([(x0 + 60, HORIZON - 54), (x0 + 66, HORIZON + 10)], fill=yellow, width=10)
        draw.line([(x0 + 90, HORIZON + 120), (x0 + 170, HORIZON + 104)], fill=yellow, width=10)


def _fire_lane(draw: ImageDraw.ImageDraw, rng: random.Random, fixed: bool) -> None:
    _outdoors(draw, rng)
    for y in range(HORIZON + 60, HEIGHT, 40):  # the yellow hatching of the lane
        draw.line([(80, y), (WIDTH - 80, y + 30)], fill=(220, 190, 40), width=6)
    if fixed:
        return
    for i in range(rng.randint(2, 3)):
        x, y = 40 + i * 200 + rng.randint(-20, 20), HORIZON + 70 + rng.randint(0, 60)
        colour = _jitter(rng.choice([(200, 30, 30), (230, 230, 235), (30, 40, 60),
                                     (150, 150, 160)]), rng)
        draw.rounded_rectangle([x, y, x + 170, y + 70], radius=18, fill=colour)
        draw.rounded_rectangle([x + 30, y - 36, x + 130, y + 8], radius=14,
                               fill=_mix(colour, (20, 20, 20), 0.3))
        draw.rectangle([x + 40, y - 30, x + 120, y - 2], fill=(150, 180, 200))
        for wx in (x + 30, x + 140):
            draw.ellipse([wx - 18, y + 52, wx + 18, y + 88], fill=(20, 20, 20))


def _lawn(draw: ImageDraw.ImageDraw, rng: random.Random, fixed: bool) -> None:
    _outdoors(draw, rng)
    _gradient(draw, (92, 150, 70), (70, 126, 52), HORIZON + 20, HEIGHT)
    for _ in range(400):
        x, y = rng.randint(0, WIDTH), rng.randint(HORIZON + 24, HEIGHT)
        draw.line([(x, y), (x + rng.randint(-3, 3), y - rng.randint(4, 10))],
                  fill=_jitter((60, 120, 45), rng, 20))
    if not fixed:
        for _ in range(rng.randint(4, 7)):
            x, y = rng.randint(60, WIDTH - 60), rng.randint(HORIZON + 60, HEIGHT - 30)
            draw.ellipse([x, y, x + rng.randint(12, 22), y + rng.randint(7, 12)],
                         fill=_jitter((96, 66, 36), rng, 10))


def _charging(draw: ImageDraw.ImageDraw, rng: random.Random, fixed: bool) -> None:
    _stairwell(draw, rng, True)
    x, y = rng.randint(80, 200), HEIGHT - 150
    draw.ellipse([x, y + 60, x + 70, y + 130], fill=(25, 25, 25))  # an e-bike
    draw.ellipse([x + 170, y + 60, x + 240, y + 130], fill=(25, 25, 25))
    draw.polygon([(x + 35, y + 90), (x + 120, y + 30), (x + 205, y + 90), (x + 110, y + 100)],
                 fill=_jitter((30, 120, 200), rng))
    if not fixed:  # the cable, down from a window
        draw.line([(WIDTH - 40, 0), (WIDTH - 90, 200), (x + 130, y + 40)],
                  fill=(240, 240, 240), width=4)
        draw.rectangle([x + 122, y + 34, x + 142, y + 50], fill=(30, 30, 30))


def _stalls(draw: ImageDraw.ImageDraw, rng: random.Random, fixed: bool) -> None:
    _outdoors(draw, rng)
    if fixed:
        return
    for i in range(rng.randint(3, 4)):
        x = 30 + i * 160 + rng.randint(-15, 15)
        colour = _jitter(rng.choice([(220, 60, 50), (40, 120, 200), (240, 190, 40),
                                     (60, 160, 90)]), rng)
        draw.pieslice([x, HORIZON - 40, x + 150, HORIZON + 60], 180, 360, fill=colour)
        draw.line([(x + 75, HORIZON + 10), (x + 75, HORIZON + 110)], fill=(80, 80, 80), width=4)
        draw.rectangle([x + 20, HORIZON + 80, x + 130, HORIZON + 130],
                       fill=_jitter((150, 110, 70), rng))
        for _ in range(8):  # the produce on the table
            px, py = x + rng.randint(26, 120), HORIZON + rng.randint(66, 84)
            draw.ellipse([px, py, px + 14, py + 14],
                         fill=rng.choice([(230, 80, 40), (240, 200, 40), (90, 170, 60)]))


def _pothole(draw: ImageDraw.ImageDraw, rng: random.Random, fixed: bool) -> None:
    _outdoors(draw, rng)
    cx, cy = WIDTH // 2 + rng.randint(-150, 150), HORIZON + 140 + rng.randint(-10, 30)
    if fixed:
        draw.rectangle([cx - 130, cy - 50, cx + 130, cy + 50], fill=(44, 45, 48))  # new asphalt
        return
    points = []
    for i in range(12):
        angle = i / 12 * 2 * math.pi
        r = rng.uniform(60, 110)
        points.append((cx + r * math.cos(angle), cy + r * 0.4 * math.sin(angle)))
    draw.polygon(points, fill=(40, 38, 36))
    draw.ellipse([cx - 60, cy - 14, cx + 50, cy + 20], fill=(120, 140, 160))  # rainwater


SCENES: dict[str, Painter] = {
    "楼道灯损坏": _stairwell,
    "下水道堵塞": _sewer,
    "垃圾堆放": _rubbish,
    "井盖缺失": _manhole,
    "健身器材损坏": _fitness,
    "消防通道堵塞": _fire_lane,
    "路灯不亮": _street_light,
    "宠物粪便": _lawn,
    "电动车楼道充电": _charging,
    "占道经营": _stalls,
    "道路破损": _pothole,
}


def has_scene(category_name: str) -> bool:
    return category_name in SCENES


@functools.cache
def _grain() -> Image.Image:
    """Sensor noise, made once and cropped at a different place for each photo."""
    return Image.effect_noise((WIDTH + 128, HEIGHT + 128), 24).convert("RGB")


def scene(category_name: str, seed: int, fixed: bool = False) -> bytes:
    """A JPEG of the problem a 小类 names (or, ``fixed``, of the place put right)."""
    rng = random.Random(seed)
    img = Image.new("RGB", (WIDTH, HEIGHT))
    SCENES[category_name](ImageDraw.Draw(img), rng, fixed)
    # a hand-held phone: slightly soft, with sensor noise, the light a little off-white
    img = img.filter(ImageFilter.SMOOTH)
    x, y = rng.randrange(128), rng.randrange(128)
    img = Image.blend(img, _grain().crop((x, y, x + WIDTH, y + HEIGHT)), 0.07)
    tint = Image.new("RGB", (WIDTH, HEIGHT), _jitter((128, 128, 128), rng, 14))
    img = Image.blend(img, tint, 0.06)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=90)
    return out.getvalue()
