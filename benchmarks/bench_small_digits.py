"""Small digits drawn with the sketchpad's own brush, read as the app reads them.

    python benchmarks/bench_small_digits.py [--weights runs/x ...] [--brush 20 12 ...]

The sketchpad's brush has a fixed width on a 400 px canvas (app.py's BRUSH_PX), so the smaller a
digit is drawn, the bolder it gets: with a 20 px brush, a digit 60 px tall has a pen a third of its
height, beyond the drawings benchmark's widest (18%). Each digit of examples/strokes.py, and a 1
drawn as a plain bar, in a box 40, 60, 80, 100 and 140 px tall (0.8 of that wide; the pen's round
ends add a brush width) on a transparent 400 px canvas: 55 drawings per brush. Prints, per weights,
brush and height, the top-1 digit and its probability of each (a dash where the app answers "not a
digit"), and how many are read right and shown as sure. The strokes are neither training data nor
the drawings benchmark's.

Then, for many hands: 1,500 validation digits (the last 5,000 MNIST training digits, which
train.py never trains on) retraced along their centre line on that canvas, 40-320 px tall, with
each brush (the same digits, sizes, turns and places for every brush), read right (as the page
shows them: a refused digit does not count as read right, unlike the top-1 of bench_drawings.py)
and refused, by height. Asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from cnn.data import default_data_dir, load_mnist, split_validation  # noqa: E402
from cnn.serve import Recognizer  # noqa: E402
from bench_drawings import read_all  # noqa: E402
from drawings import Drawing, _skeleton_segments, render  # noqa: E402
from make_examples import draw_strokes  # noqa: E402
from strokes import DIGIT_STROKES  # noqa: E402
from weights_arg import load_weights  # noqa: E402

HEIGHTS, BRUSH = (40, 60, 80, 100, 140), 12  # BRUSH: app.py's BRUSH_PX (not imported: that builds the app)
SHAPES = {**{str(d): (d, strokes) for d, strokes in DIGIT_STROKES.items()}, "1 bar": (1, [[(0.5, 0.0), (0.5, 1.0)]])}


def drawing(strokes: list, height: int, brush: int = BRUSH) -> Image.Image:
    canvas = Image.new("RGBA", (400, 400), (0, 0, 0, 0))  # as the sketchpad sends it
    return draw_strokes(canvas, strokes, box=(150, 100, 0.8 * height, height), pen=brush)


def validation_digits(count: int = 1500, seed: int = 401) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`count` validation digits (28x28), their labels, and a height on the canvas for each (40-320 px)."""
    images, labels = load_mnist(default_data_dir(), train=True)
    _, _, digits, digit_labels = split_validation(images, labels)
    rng = np.random.default_rng(seed)
    index = rng.choice(len(digits), count, replace=False)
    return digits.squeeze(1).numpy()[index], digit_labels.numpy()[index], rng.uniform(40, 320, count)


def read_with_brush(recognizer: Recognizer, digits: np.ndarray, labels: np.ndarray, heights: np.ndarray, brush: int) -> tuple[np.ndarray, np.ndarray]:
    """Per digit: read right as the page shows it (a refused digit is not), refused."""
    rng = np.random.default_rng(402)  # the same turns and places for every brush
    drawings = [Drawing(render(_skeleton_segments(digit), rng, 400, height, brush, transparent=True), int(label), "mnist", brush / height)
                for digit, label, height in zip(digits, labels, heights)]
    result = read_all(recognizer, drawings)
    return (result["top1"] == labels) & ~result["refused"], result["refused"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", nargs="*", default=["shipped"], help='model folders ("shipped", the default: the shipped weights)')
    parser.add_argument("--brush", type=int, nargs="*", default=[BRUSH], help=f"brush widths, px (default: the app's, {BRUSH})")
    args = parser.parse_args()
    recognizers = {weights: Recognizer(load_weights(weights)) for weights in args.weights}
    cases = [(name, digit, height) for height in HEIGHTS for name, (digit, _) in SHAPES.items()]
    print("| weights | brush | height | " + " | ".join(SHAPES) + " | right and sure |")
    print("|---|---|---|" + "---|" * (len(SHAPES) + 1))
    for weights, recognizer in recognizers.items():
        for brush in args.brush:
            readings = recognizer.read([drawing(SHAPES[name][1], height, brush) for name, _, height in cases])
            for height in HEIGHTS:
                row = [(r, digit) for (_, digit, h), r in zip(cases, readings) if h == height]
                cells = [f"{r.digit}: {r.top[r.digit]:.2f}" if r.is_digit else "-" for r, _ in row]
                good = sum(r.is_digit and r.confident and r.digit == str(digit) for r, digit in row)
                print(f"| {weights} | {brush} px | {height} px | " + " | ".join(cells) + f" | {good} of {len(row)} |")

    digits, labels, heights = validation_digits()
    bands = ((40, 80), (80, 120), (120, 320))
    print("\n| weights | brush | " + " | ".join(f"{low}-{high} px tall ({((heights >= low) & (heights < high)).sum()})" for low, high in bands) + " | all |")
    print("|---|---|" + "---|" * (len(bands) + 1))
    for weights, recognizer in recognizers.items():
        for brush in args.brush:
            right, refused = read_with_brush(recognizer, digits, labels, heights, brush)
            cells = [(heights >= low) & (heights < high) for low, high in bands] + [np.ones(len(heights), bool)]
            print(f"| {weights} | {brush} px | " + " | ".join(f"{right[m].mean():.2%} (refused {refused[m].mean():.2%})" for m in cells) + " |")


if __name__ == "__main__":
    main()
