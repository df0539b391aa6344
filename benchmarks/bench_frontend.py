"""Accuracy on digits drawn at canvas scale: cnn.to_mnist against a naive front end.

    python benchmarks/bench_frontend.py [--digits 2000]

The naive front end resizes the whole canvas to 28x28 (anti-aliased) and takes ink = 1 - grey
(alpha on a transparent canvas), as many digit demos do. Same model, same drawings.
Prints a Markdown table; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cnn  # noqa: E402
from cnn.data import default_data_dir, load_mnist  # noqa: E402
from cnn.redraw import random_stroke, redraw  # noqa: E402


def naive(canvas: Image.Image) -> np.ndarray:
    small = canvas.resize((28, 28), Image.Resampling.BILINEAR)
    if small.mode == "RGBA":
        return np.asarray(small, dtype=np.float32)[..., 3] / 255
    return 1 - np.asarray(small.convert("L"), dtype=np.float32) / 255


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--digits", type=int, default=2000, help="redrawn MNIST test digits")
    args = parser.parse_args()
    model = cnn.load_model()
    test_x, test_y = load_mnist(default_data_dir(), train=False)
    rng = np.random.default_rng(42)
    sample = rng.choice(len(test_x), size=args.digits, replace=False)
    strokes = [random_stroke(rng) for _ in sample]
    canvases = [redraw(test_x[i, 0].numpy(), s) for i, s in zip(sample, strokes)]
    labels = test_y[sample].numpy()

    def accuracy(front_end, keep) -> float:
        inputs = np.stack([front_end(c) for c, k in zip(canvases, keep) if k])
        predictions = model.predict_proba(torch.from_numpy(inputs)).argmax(1).numpy()
        return float((predictions == labels[keep]).mean())

    groups = {
        "all": np.ones(len(sample), bool),
        "white paper": np.array([s.background == "white" for s in strokes]),
        "dark paper": np.array([s.background == "black" for s in strokes]),
        "transparent layer": np.array([s.background == "transparent" for s in strokes]),
        "digit under 40% of the canvas": np.array([s.height < 160 for s in strokes]),
        "fine-liner pen": np.array([s.pen > 0 for s in strokes]),
    }
    print(f"{args.digits} MNIST test digits redrawn on 400x400 canvases (cnn/redraw.py), shipped weights\n")
    print("| drawings | n | naive: whole canvas resized to 28x28 | cnn.to_mnist |")
    print("|---|---|---|---|")
    for name, keep in groups.items():
        print(f"| {name} | {keep.sum()} | {accuracy(naive, keep):.2%} | {accuracy(cnn.to_mnist, keep):.2%} |", flush=True)


if __name__ == "__main__":
    main()
