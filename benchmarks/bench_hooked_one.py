"""The 1 with a short hook (examples/strokes.py, which the phone browser test draws), read as the app reads it.

    python benchmarks/bench_hooked_one.py [--weights runs/x ...]

Nine drawings: the 1 at 120, 245 and 360 px tall on a 400 px transparent canvas, each with a pen of
6, 20 and 40 px. Prints, per weights, the top-1 digit and its probability for each, and how many
are shown as sure: at the app's "not sure" line (cnn.serve.LOW_CONFIDENCE), and at the model's own
line, read off validation (bench_confidence.py's not_sure_line), which it would ship with. The
strokes are neither training data nor the drawings benchmark's. Asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))

from cnn.data import default_data_dir, load_mnist, split_validation  # noqa: E402
from cnn.serve import LOW_CONFIDENCE, Recognizer  # noqa: E402
from bench_confidence import SEED, own_line, validation_digits  # noqa: E402
from make_examples import draw_digit  # noqa: E402
from weights_arg import load_weights  # noqa: E402

SIDES, PENS = (120, 245, 360), (6, 20, 40)


def hooked_one(side: float, pen: int) -> Image.Image:
    """The 1, `side` px tall and 0.8 of that wide, centred on a transparent 400 px canvas."""
    return draw_digit(1, box=(200 - 0.4 * side, 200 - side / 2, 0.8 * side, side), pen=pen, paper=(0, 0, 0, 0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", nargs="*", default=["shipped"], help='model folders ("shipped", the default: the shipped weights)')
    args = parser.parse_args()
    drawings = [hooked_one(side, pen) for side in SIDES for pen in PENS]
    images, labels = load_mnist(default_data_dir(), train=True)
    _, _, val_x, val_y = split_validation(images, labels)
    for_line = validation_digits(val_x, val_y, torch.Generator().manual_seed(SEED))
    print("| weights | " + " | ".join(f"{s} px, pen {p}" for s in SIDES for p in PENS) + f" | sure at {LOW_CONFIDENCE:g} | its own line: sure |")
    print("|---|" + "---|" * (len(drawings) + 2))
    for weights in args.weights:
        recognizer = Recognizer(load_weights(weights))
        readings, line = recognizer.read(drawings), own_line(recognizer.model, for_line)
        cells = [f"{r.digit}: {r.top[r.digit]:.3f}" for r in readings]
        sure = [sum(r.top[r.digit] >= t for r in readings) for t in (LOW_CONFIDENCE, line)]
        print(f"| {weights} | " + " | ".join(cells) + f" | {sure[0]} of {len(readings)} | {line:g}: {sure[1]} of {len(readings)} |")


if __name__ == "__main__":
    main()
