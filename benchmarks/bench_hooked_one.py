"""The 1 with a short hook (examples/strokes.py, which the phone browser test draws), read as the app reads it.

    python benchmarks/bench_hooked_one.py [--weights runs/x ...]

Nine drawings: the 1 at 120, 245 and 360 px tall on a 400 px transparent canvas, each with a pen of
6, 20 and 40 px. Prints, per weights, the top-1 digit and its probability for each, and how many
are shown as sure. The strokes are neither training data nor the drawings benchmark's. Asserts nothing.
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
from make_examples import draw_digit  # noqa: E402

SIDES, PENS = (120, 245, 360), (6, 20, 40)


def hooked_one(side: float, pen: int) -> Image.Image:
    """The 1, `side` px tall and 0.8 of that wide, centred on a transparent 400 px canvas."""
    return draw_digit(1, box=(200 - 0.4 * side, 200 - side / 2, 0.8 * side, side), pen=pen, paper=(0, 0, 0, 0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", nargs="*", default=["shipped"], help='model folders ("shipped", the default: the shipped weights)')
    args = parser.parse_args()
    drawings = [hooked_one(side, pen) for side in SIDES for pen in PENS]
    print("| weights | " + " | ".join(f"{s} px, pen {p}" for s in SIDES for p in PENS) + " | sure |")
    print("|---|" + "---|" * (len(drawings) + 1))
    for weights in args.weights:
        readings = Recognizer(cnn.load_model(None if weights == "shipped" else weights)).read(drawings)
        cells = [f"{r.digit}: {r.top[r.digit]:.3f}" for r in readings]
        print(f"| {weights} | " + " | ".join(cells) + f" | {sum(r.confident for r in readings)} of {len(readings)} |")


if __name__ == "__main__":
    main()
