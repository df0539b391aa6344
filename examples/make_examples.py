"""Draw the example images shown in the app (python examples/make_examples.py rewrites them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from strokes import DIGIT_STROKES, smooth

HERE = Path(__file__).resolve().parent


Strokes = list[list[tuple[float, float]]]


def draw_strokes(image: Image.Image, strokes: Strokes, box=(100, 60, 200, 280), pen=22, ink=(0, 0, 0, 255), slant=0.0) -> Image.Image:
    """Strokes (unit-box points) drawn with a round pen inside box = (left, top, width, height),
    leaning right by `slant` (x per unit of height) about the box's bottom."""
    draw = ImageDraw.Draw(image)
    left, top, width, height = box
    for stroke in strokes:
        points = [(left + x * width + slant * (1 - y) * height, top + y * height) for x, y in smooth(stroke)]
        draw.line(points, fill=ink, width=pen, joint="curve")
        for x, y in (points[0], points[-1]):  # round pen tips
            draw.ellipse([x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2], fill=ink)
    return image


def draw_digit(digit: int, size=(400, 400), box=(100, 60, 200, 280), pen=22, paper=(255, 255, 255, 255), ink=(0, 0, 0, 255)) -> Image.Image:
    """`digit` drawn with a round pen inside box = (left, top, width, height)."""
    return draw_strokes(Image.new("RGBA", size, paper), DIGIT_STROKES[digit], box, pen, ink)


def draw_number(
    digits: list[Strokes | int] | str,
    size=(640, 320),
    height=180,
    gap=0.3,
    slant=0.0,
    pen=18,
    left=40,
    lift: list[float] | None = None,
    paper=(255, 255, 255, 255),
) -> Image.Image:
    """Digits (or strokes) side by side, each 0.6 `height` wide, `gap` heights apart (negative:
    overlapping), each `lift` heights above the common baseline, vertically centred."""
    image = Image.new("RGBA", size, paper)
    top = (size[1] - height) / 2
    for n, digit in enumerate(digits):
        strokes = DIGIT_STROKES[int(digit)] if isinstance(digit, (int, str)) else digit
        raised = (lift[n] if lift else 0.0) * height
        draw_strokes(image, strokes, (left + n * (0.6 + gap) * height, top - raised, 0.6 * height, height), pen, slant=slant)
    return image


def squared_paper_photo(digit: int) -> Image.Image:
    """`digit` in blue ballpoint on squared paper, photographed in uneven light (darker towards
    the bottom right, as under a hand or a phone), with a little sensor noise."""
    page = Image.new("RGB", (400, 400), (246, 244, 236))
    grid = ImageDraw.Draw(page)
    for at in range(12, 400, 32):
        grid.line([(at, 0), (at, 400)], fill=(190, 212, 236), width=2)
        grid.line([(0, at), (400, at)], fill=(190, 212, 236), width=2)
    draw_strokes(page, DIGIT_STROKES[digit], box=(120, 80, 150, 230), pen=9, ink=(35, 45, 120))
    ys, xs = np.mgrid[0:400, 0:400] / 400
    light = 1 - 0.55 * np.exp(-((xs - 0.95) ** 2 + (ys - 0.9) ** 2) / 0.35)
    noise = np.random.default_rng(5).normal(0, 3, (400, 400, 3))
    return Image.fromarray(np.clip(np.asarray(page) * light[..., None] + noise, 0, 255).astype(np.uint8))


EXAMPLES = {
    "seven_pencil.png": lambda: draw_digit(7).convert("RGB"),
    "three_transparent.png": lambda: draw_digit(3, paper=(0, 0, 0, 0), ink=(30, 60, 200, 255)),
    "four_chalkboard.png": lambda: draw_digit(4, paper=(20, 50, 35, 255), ink=(235, 235, 225, 255)).convert("RGB"),
    "two_small_corner.png": lambda: draw_digit(2, box=(250, 40, 70, 100), pen=8).convert("RGB"),
    "nine_marker.png": lambda: draw_digit(9, size=(600, 500), box=(150, 30, 300, 440), pen=60).convert("RGB"),
    "five_photo.jpg": lambda: squared_paper_photo(5),
    "number_2026.png": lambda: draw_number("2026", size=(720, 320), slant=0.15, lift=[0.0, 0.04, -0.03, 0.02]).convert("RGB"),
}

if __name__ == "__main__":
    for name, make in EXAMPLES.items():
        make().save(HERE / name, quality=85)  # quality: JPEG only, as a phone saves a photo
        print("wrote", HERE / name)
