"""Choosing the app's "not sure" threshold: how often it flags right answers, wrong answers and non-digits.

    python benchmarks/bench_confidence.py [--digits 3000]

Digits: MNIST test digits redrawn at canvas scale (cnn.redraw). Non-digits: letters, random
scribbles and noise, as visitors also send. Prints a Markdown table; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cnn  # noqa: E402
from cnn.data import default_data_dir, load_mnist  # noqa: E402
from cnn.redraw import random_stroke, redraw  # noqa: E402
from cnn.preprocess import prepare  # noqa: E402
from cnn.serve import LOW_CONFIDENCE  # noqa: E402


def non_digits(rng: np.random.Generator, count: int) -> list[Image.Image]:
    """Letters, scribbles and noise: things that are not one digit."""
    images = []
    font = ImageFont.load_default(size=260)
    letters = "ABCDEFHKLMNPRSTUVWXYZaeghkmnprstuvwxyz#%&@?"
    for n in range(count):
        canvas = Image.new("L", (400, 400), 255)
        draw = ImageDraw.Draw(canvas)
        kind = n % 3
        if kind == 0:
            draw.text((200, 200), letters[n // 3 % len(letters)], fill=0, font=font, anchor="mm")
        elif kind == 1:
            points = [tuple(rng.integers(40, 360, 2).tolist()) for _ in range(rng.integers(4, 12))]
            draw.line(points, fill=0, width=int(rng.integers(8, 30)), joint="curve")
        else:
            canvas = Image.fromarray(rng.integers(0, 256, (400, 400), dtype=np.uint8))
        images.append(canvas)
    return images


def top1(model: cnn.DigitCNN, images: list[Image.Image]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top-1 probability, digit, and whether the ink passes the handwriting check, per inked image."""
    prepared = [(p, strokes) for p, strokes in map(prepare, images) if p is not None]
    probs = model.predict_proba(torch.from_numpy(np.stack([p for p, _ in prepared])))
    confidence, digit = probs.max(dim=1)
    return confidence.numpy(), digit.numpy(), np.array([strokes for _, strokes in prepared])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--digits", type=int, default=3000, help="redrawn MNIST test digits")
    parser.add_argument("--others", type=int, default=600, help="letters, scribbles and noise")
    args = parser.parse_args()

    model = cnn.load_model()
    rng = np.random.default_rng(0)
    test_x, test_y = load_mnist(default_data_dir(), train=False)
    sample = rng.choice(len(test_x), size=args.digits, replace=False)
    confidence, digit, digit_ok = top1(model, [redraw(test_x[i, 0].numpy(), random_stroke(rng)) for i in sample])
    right = digit == test_y[sample].numpy()
    other_confidence, _, other_ok = top1(model, non_digits(rng, args.others))
    kinds = np.arange(len(other_ok)) % 3  # letters, scribbles, noise (non_digits' order)

    print(f"{args.digits} redrawn MNIST test digits: {right.mean():.2%} read right ({(~right).sum()} wrong)")
    print(f"{args.others} non-digits (letters, scribbles, noise)")
    print(
        f"handwriting check (app: 'not a digit'): stops {(~digit_ok).mean():.2%} of the digits, "
        f"{(~other_ok[kinds == 0]).mean():.0%} of letters, {(~other_ok[kinds == 1]).mean():.0%} of scribbles, "
        f"{(~other_ok[kinds == 2]).mean():.0%} of noise\n"
    )
    other_confidence = np.where(other_ok, other_confidence, 0.0)  # stopped ones never show a digit
    print("| threshold | right answers flagged | wrong answers flagged | non-digits flagged or stopped |")
    print("|---|---|---|---|")
    for threshold in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
        mark = " (app)" if abs(threshold - LOW_CONFIDENCE) < 1e-9 else ""
        print(
            f"| {threshold:.2f}{mark} | {(confidence[right] < threshold).mean():.1%} "
            f"| {(confidence[~right] < threshold).mean():.0%} | {(other_confidence < threshold).mean():.0%} |"
        )


if __name__ == "__main__":
    main()
