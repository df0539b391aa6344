"""Recipes compared on the validation split only, never on the test set or the benchmark's test digits.

    python benchmarks/bench_validation.py [FOLDER ...] [--shifts] [--ensemble]

The validation split is the last 5,000 MNIST training digits, which train.py never trains on. Each
model folder (default: the shipped weights; "shipped" names them too) reads them three ways:
as they are, retraced with a uniform round pen (benchmarks/drawings.py's pen_set: 3,000 canvases)
and redrawn on a canvas (canvas_set: 3,000), each canvas through the app's own reading
(Recognizer.read). --shifts averages five one-pixel shifts of every 28x28; --ensemble also reads
the folders as one model that averages their probabilities. Prints one JSON line per model.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cnn  # noqa: E402
from cnn.data import default_data_dir, load_mnist, split_validation  # noqa: E402
from cnn.metrics import expected_calibration_error  # noqa: E402
from cnn.serve import Recognizer  # noqa: E402
from bench_drawings import read_all  # noqa: E402
from drawings import canvas_set, pen_set  # noqa: E402

SHIFTS = [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)]


class Averaged:
    """Stands for Recognizer.model: the mean probabilities of several models over several shifts."""

    def __init__(self, models: list, shifts: list[tuple[int, int]]) -> None:
        self.models, self.shifts = models, shifts

    def predict_proba(self, pixels: torch.Tensor) -> torch.Tensor:
        pixels = pixels.unsqueeze(1) if pixels.dim() == 3 else pixels
        padded = F.pad(pixels, (1, 1, 1, 1))
        batch = torch.cat([padded[..., 1 + dy : 29 + dy, 1 + dx : 29 + dx] for dy, dx in self.shifts])
        batch = batch.contiguous(memory_format=torch.channels_last)
        with torch.no_grad():
            each = [m.predict_proba(batch).view(len(self.shifts), len(pixels), -1).mean(0) for m in self.models]
        return torch.stack(each).mean(0)


def report(name: str, recognizer: Recognizer, clean: tuple, drawn: dict) -> dict:
    images, labels = clean
    probabilities = recognizer.model.predict_proba(images)
    confidence, predicted = probabilities.max(1)
    row = {"weights": name, "clean": (predicted == labels).double().mean().item(),
           "clean_ece": float(expected_calibration_error(confidence, predicted == labels))}
    for set_name, drawings in drawn.items():
        result = read_all(recognizer, drawings)
        right = result["top1"] == np.array([d.label for d in drawings])
        inked = result["top1"] >= 0
        row[set_name] = right.mean()
        row[f"{set_name}_refused"] = result["refused"].mean()
        row[f"{set_name}_ece"] = float(expected_calibration_error(torch.from_numpy(result["confidence"][inked]),
                                                                  torch.from_numpy(right[inked])))
    return {k: round(float(v), 5) if not isinstance(v, str) else v for k, v in row.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", default=["shipped"], help="model folders (\"shipped\": the shipped weights)")
    parser.add_argument("--shifts", action="store_true", help="average five one-pixel shifts of each 28x28")
    parser.add_argument("--ensemble", action="store_true", help="also read the folders as one averaged model")
    args = parser.parse_args()

    images, labels = load_mnist(default_data_dir(), train=True)
    _, _, val_x, val_y = split_validation(images, labels)
    digits, digit_labels = val_x.squeeze(1).numpy(), val_y.numpy()
    drawn = {"pen": pen_set(digits, digit_labels, 3000, seed=101), "canvas": canvas_set(digits, digit_labels, 3000, seed=103)}

    shifts = SHIFTS if args.shifts else SHIFTS[:1]
    recognizers = {f: Recognizer(cnn.load_model(None if f == "shipped" else f)) for f in args.folders}
    for folder, recognizer in recognizers.items():
        recognizer.model = Averaged([recognizer.model], shifts)
        print(json.dumps(report(folder + (" +shifts" if args.shifts else ""), recognizer, (val_x, val_y), drawn)), flush=True)
    if args.ensemble:
        first = next(iter(recognizers.values()))
        first.model = Averaged([m for r in recognizers.values() for m in r.model.models], shifts)
        print(json.dumps(report("ensemble of " + " + ".join(args.folders), first, (val_x, val_y), drawn)), flush=True)


if __name__ == "__main__":
    main()
