"""Where a 1 with a flag turns into a 7: the probability of 1 as the flag's angle, its length and
the writer's slant change, each drawing prepared as the app prepares it (`cnn.to_mnist`).

    python benchmarks/bench_flagged_one.py [--weights runs/x ...]

Each drawing is one stroke, flag then stem (a European 1 without a foot), 300 px tall with a 14 px
pen on a 500 px white canvas, drawn here from its three parameters, with no jitter: the flag's
angle below the horizontal (30-60 degrees, measured on the upright 1), its length (a share of the
stem), and the slant of the whole 1 (-15, 0 or +15 degrees; + leans the top right, "/", the usual
slant). Neither training nor the drawings benchmark uses these. Prints one table per weights.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cnn  # noqa: E402
from drawings import _round_pen  # noqa: E402
from weights_arg import load_weights  # noqa: E402

ANGLES, LENGTHS, SLANTS = (30, 40, 50, 60), (0.3, 0.45, 0.6, 0.75), (-15, 0, 15)


def flagged_one(angle: float, length: float, slant: float, height: int = 300, pen: int = 14) -> Image.Image:
    a, s = math.radians(angle), math.radians(slant)
    stroke = np.array([[-length * math.cos(a), length * math.sin(a)], [0.0, 0.0], [0.0, 1.0]])  # flag end, top, foot
    turn = np.array([[math.cos(s), -math.sin(s)], [math.sin(s), math.cos(s)]])  # y down: + turns clockwise, "/"
    stroke = stroke @ turn.T
    stroke = (stroke - stroke.min(0)) * height / np.ptp(stroke[:, 1]) + 100
    mask = Image.new("L", (500, 500), 0)
    _round_pen(mask, [stroke], pen)
    return Image.eval(mask, lambda v: 255 - v)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", nargs="*", default=["shipped"], help='model folders ("shipped", the default: the shipped weights)')
    args = parser.parse_args()
    # The app's top 3 may leave 1 out, so the model's whole answer is read: one batch, every drawing.
    grid = [(length, angle, slant) for length in LENGTHS for angle in ANGLES for slant in SLANTS]
    pixels = torch.from_numpy(np.stack([cnn.to_mnist(flagged_one(angle, length, slant)) for length, angle, slant in grid]))
    for weights in args.weights:
        with torch.no_grad():
            ones = load_weights(weights).predict_proba(pixels.unsqueeze(1))[:, 1].view(len(LENGTHS), len(ANGLES), len(SLANTS))
        print(f"\n{weights}: probability of 1, for slants {' / '.join(f'{s:+d}' for s in SLANTS)} degrees\n")
        print("| flag length | " + " | ".join(f"flag at {a} degrees" for a in ANGLES) + " |")
        print("|---|" + "---|" * len(ANGLES))
        for length, row in zip(LENGTHS, ones.tolist()):
            print(f"| {length:.2f} | " + " | ".join(" / ".join(f"{p:.2f}" for p in cell) for cell in row) + " |")


if __name__ == "__main__":
    main()
