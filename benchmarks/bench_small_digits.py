"""Small digits drawn with the sketchpad's own brush, read as the app reads them.

    python benchmarks/bench_small_digits.py [--weights runs/x ...]

The sketchpad's brush is 20 px wide on a 400 px canvas (app.py), so the smaller a digit is drawn,
the bolder it gets: a digit 60 px tall has a pen a third of its height, beyond the drawings
benchmark's widest (18%). Each digit of examples/strokes.py, and a 1 drawn as a plain bar, in a box
40, 60, 80, 100 and 140 px tall (0.8 of that wide; the pen's round ends add 20 px) on a transparent
400 px canvas: 55 drawings. Prints, per weights and height, the top-1 digit and its probability of
each (a dash where the app answers "not a digit"), and how many are read right and shown as sure.
The strokes are neither training data nor the drawings benchmark's. Asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))

import cnn  # noqa: E402
from cnn.serve import Recognizer  # noqa: E402
from make_examples import draw_strokes  # noqa: E402
from strokes import DIGIT_STROKES  # noqa: E402

HEIGHTS, BRUSH = (40, 60, 80, 100, 140), 20  # BRUSH: app.py's gr.Brush(default_size=20)
SHAPES = {**{str(d): (d, strokes) for d, strokes in DIGIT_STROKES.items()}, "1 bar": (1, [[(0.5, 0.0), (0.5, 1.0)]])}


def drawing(strokes: list, height: int) -> Image.Image:
    canvas = Image.new("RGBA", (400, 400), (0, 0, 0, 0))  # as the sketchpad sends it
    return draw_strokes(canvas, strokes, box=(150, 100, 0.8 * height, height), pen=BRUSH)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", nargs="*", default=["shipped"], help='model folders ("shipped", the default: the shipped weights)')
    args = parser.parse_args()
    cases = [(name, digit, height) for height in HEIGHTS for name, (digit, _) in SHAPES.items()]
    drawings = [drawing(SHAPES[name][1], height) for name, _, height in cases]
    print("| weights | height | " + " | ".join(SHAPES) + " | right and sure |")
    print("|---|---|" + "---|" * (len(SHAPES) + 1))
    for weights in args.weights:
        readings = Recognizer(cnn.load_model(None if weights == "shipped" else weights)).read(drawings)
        for height in HEIGHTS:
            row = [(r, digit) for (_, digit, h), r in zip(cases, readings) if h == height]
            cells = [f"{r.digit}: {r.top[r.digit]:.2f}" if r.is_digit else "-" for r, _ in row]
            good = sum(r.is_digit and r.confident and r.digit == str(digit) for r, digit in row)
            print(f"| {weights} | {height} px | " + " | ".join(cells) + f" | {good} of {len(row)} |")


if __name__ == "__main__":
    main()
