"""Draw the example images shown in the app (python examples/make_examples.py rewrites them)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from strokes import DIGIT_STROKES, smooth

HERE = Path(__file__).resolve().parent


def draw_digit(digit: int, size=(400, 400), box=(100, 60, 200, 280), pen=22, paper=(255, 255, 255, 255), ink=(0, 0, 0, 255)) -> Image.Image:
    """`digit` drawn with a round pen inside box = (left, top, width, height)."""
    image = Image.new("RGBA", size, paper)
    draw = ImageDraw.Draw(image)
    left, top, width, height = box
    for stroke in DIGIT_STROKES[digit]:
        points = [(left + x * width, top + y * height) for x, y in smooth(stroke)]
        draw.line(points, fill=ink, width=pen, joint="curve")
        for x, y in (points[0], points[-1]):  # round pen tips
            draw.ellipse([x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2], fill=ink)
    return image


EXAMPLES = {
    "seven_pencil.png": lambda: draw_digit(7).convert("RGB"),
    "three_transparent.png": lambda: draw_digit(3, paper=(0, 0, 0, 0), ink=(30, 60, 200, 255)),
    "four_chalkboard.png": lambda: draw_digit(4, paper=(20, 50, 35, 255), ink=(235, 235, 225, 255)).convert("RGB"),
    "two_small_corner.png": lambda: draw_digit(2, box=(250, 40, 70, 100), pen=8).convert("RGB"),
    "nine_marker.png": lambda: draw_digit(9, size=(600, 500), box=(150, 30, 300, 440), pen=60).convert("RGB"),
}

if __name__ == "__main__":
    for name, make in EXAMPLES.items():
        make().save(HERE / name)
        print("wrote", HERE / name)
