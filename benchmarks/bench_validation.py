"""Recipes compared on the validation split only, never on the test set or the benchmark's test digits.

    python benchmarks/bench_validation.py [FOLDER ...] [--shifts] [--ensemble]

The validation split is the last 5,000 MNIST training digits, which train.py never trains on. Each
model folder (default: the shipped weights; "shipped" names them too) reads them eight ways:
as they are, retraced with a uniform round pen (benchmarks/drawings.py's pen_set: 3,000 canvases),
redrawn on a canvas (canvas_set: 3,000), retraced with pens of 18-35% of the digit's height
(`thick`: 2,000; THICK_PENS, thicker than any in the benchmark: small digits drawn with a broad
brush), and retraced then photographed on plain, ruled or squared paper under uneven light
(`photo`: 1,500; drawings.photo_set, seed 109; each paper's top-1 and refusals in `photo_by_paper`),
and the same with the page lying on a desk that the photo shows around it (`desk`: 600; seed 111;
by the desk in `desk_by_surface`), and photos of ruled notebook or legal-pad paper with its margin
line (`margin`: 600; seed 113; by where the line lies in `margin_by_line`), and digits retraced
inside a printed box (`framed`: 600; drawings.framed_set, seed 115; cropped to the box or on paper
in `framed_by_crop`), and digits retraced then underlined once or twice or ringed (`marked`: 600;
drawings.marked_set, seed 119; by the mark, apart from the digit or touching it, in
`marked_by_mark`), each image through the app's own reading (Recognizer.read).
A further set, "styles", is
the styles MNIST rarely shows, drawn from templates
written here for validation: neither training (cnn/augment.py) nor the benchmark (set (b),
benchmarks/drawings.py STYLES) uses them; they go through the benchmark's renderer; each style's
top-1 is printed too (`each_style`), and the share read right and shown as sure (`each_style_sure`),
at the model's own "not sure" line (`not_sure_line`: read off the validation digits as
bench_confidence.py reads cnn.serve.LOW_CONFIDENCE, so a recipe is judged at the line it would
ship with). `long_flag_by_lean` splits the 1 with a
long flag by the lean of its stem (drawings.stem_lean; the right-leaning ones look like 7s), and
`clean_7_as_1` counts the validation 7s read as 1. --shifts averages five one-pixel shifts of every
28x28; --ensemble also reads the folders as one model that averages their probabilities; --shared
prints, per set, the share of drawings that all, three quarters, half or any of the folders
misread (errors that every model shares are what no recipe of this family reads). For the pen
set it also prints the share of retraces that lost a hole of their MNIST digit (`pen_lost_hole`:
a loop that MNIST drew filled has no centre line around it, so a 6 can come back as an L), and
the top-1 on those and on the others, and its top-1 by pen width (`pen_by_width`, bench_drawings'
PEN_BUCKETS: pen / digit height). --pen-min and --pen-target set the serving side's stroke
normalisation (cnn.preprocess: drawings thinner than PEN_MIN are widened to PEN_TARGET, px at 80 px)
for the whole run, to compare settings on these drawings. Prints one JSON line per model.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cnn.preprocess  # noqa: E402
from cnn.data import default_data_dir, load_mnist, split_validation  # noqa: E402
from cnn.metrics import expected_calibration_error  # noqa: E402
from cnn.serve import Recognizer  # noqa: E402
from bench_confidence import SEED, own_line, validation_digits  # noqa: E402
from bench_drawings import PEN_BUCKETS, digit_report, lost_hole, read_all, stem_leans, top1_by_kind, top1_by_lean, top1_by_pen  # noqa: E402
from drawings import DESKS, FRAMES, MARGINS, MARKED, PAPERS, _arc, canvas_set, framed_set, marked_set, pen_set, photo_set, style_set  # noqa: E402
from weights_arg import load_weights  # noqa: E402

SHIFTS = [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)]
# Pens for the "thick" set, as shares of the digit's height: beyond the benchmark's widest (18%),
# up to a small digit drawn with a 20 px brush on the sketchpad's 400 px canvas (60 px tall: a third).
THICK_PENS = (0.18, 0.35)

# Validation styles (unit box, x right, y down): other hands than the benchmark's templates.
VALIDATION_STYLES: dict[str, tuple[int, list[list[tuple[float, float]]]]] = {
    "1 long flag": (1, [[(0.16, 0.36), (0.57, 0.0), (0.55, 1.0)]]),
    "1 short flag": (1, [[(0.36, 0.17), (0.58, 0.0), (0.58, 1.0)]]),
    "1 flag and foot": (1, [[(0.2, 0.34), (0.55, 0.0), (0.55, 1.0)], [(0.26, 1.0), (0.84, 0.99)]]),
    "7 crossbar": (7, [[(0.12, 0.03), (0.86, 0.0), (0.4, 1.0)], [(0.3, 0.48), (0.8, 0.47)]]),
    "0 slashed": (0, [_arc(0.5, 0.5, 0.3, 0.47, -100, 260, 20), [(0.22, 0.9), (0.8, 0.08)]]),
    "4 open top": (4, [[(0.25, 0.03), (0.12, 0.58), (0.9, 0.58)], [(0.66, 0.12), (0.64, 1.0)]]),
    "9 straight stem": (9, [_arc(0.46, 0.28, 0.3, 0.27, 10, 370, 18), [(0.76, 0.3), (0.74, 1.0)]]),
    "2 looped base": (2, [[(0.18, 0.2), (0.36, 0.02), (0.66, 0.03), (0.8, 0.24), (0.64, 0.55), (0.26, 0.9),
                           (0.3, 1.0), (0.42, 0.86), (0.46, 0.96), (0.88, 0.96)]]),
}

# Validation non-digits, drawn like the styles (label -1): letters and shapes that are no digit,
# other than set (d)'s (benchmarks/drawings.py LETTERS and SHAPES). bench_numbers.py
# --choose-cut-side reads them as /read_number does, where strokes cut apart can read as digits.
VALIDATION_NON_DIGITS: dict[str, tuple[int, list[list[tuple[float, float]]]]] = {
    "m": (-1, [[(0.1, 1), (0.1, 0.3)], [(0.1, 0.45), *_arc(0.3, 0.45, 0.2, 0.15, 180, 360, 8), (0.5, 1)],
               [(0.5, 0.45), *_arc(0.7, 0.45, 0.2, 0.15, 180, 360, 8), (0.9, 1)]]),
    "n": (-1, [[(0.15, 1), (0.15, 0.2)], [(0.15, 0.4), *_arc(0.5, 0.4, 0.35, 0.25, 180, 360, 10), (0.85, 1)]]),
    "h": (-1, [[(0.15, 0), (0.15, 1)], [(0.15, 0.55), *_arc(0.5, 0.55, 0.35, 0.2, 180, 360, 8), (0.85, 1)]]),
    "k": (-1, [[(0.15, 0), (0.15, 1)], [(0.8, 0.35), (0.15, 0.7), (0.85, 1)]]),
    "x": (-1, [[(0.1, 0.1), (0.9, 0.9)], [(0.9, 0.1), (0.1, 0.9)]]),
    "w, round middle": (-1, [[(0.0, 0), (0.22, 1), (0.5, 0.15), (0.78, 1), (1.0, 0)]]),
    "W, tall middle": (-1, [[(0.0, 0), (0.15, 1), (0.5, 0), (0.85, 1), (1.0, 0)]]),
    "M, splayed": (-1, [[(0.0, 1), (0.05, 0), (0.5, 1), (0.95, 0), (1.0, 1)]]),
    "N, one stroke": (-1, [[(0.1, 1), (0.12, 0), (0.88, 1), (0.9, 0)]]),
    "H, slanted bar": (-1, [[(0.1, 0), (0.1, 1)], [(0.9, 0), (0.9, 1)], [(0.1, 0.45), (0.9, 0.55)]]),
    "L": (-1, [[(0.2, 0), (0.2, 1), (0.85, 1)]]),
    "I with bars": (-1, [[(0.2, 0), (0.8, 0)], [(0.5, 0), (0.5, 1)], [(0.2, 1), (0.8, 1)]]),
    "ee": (-1, [[(0.05, 0.5), (0.45, 0.5), *_arc(0.25, 0.5, 0.2, 0.3, 0, -300, 10)],
                [(0.55, 0.5), (0.95, 0.5), *_arc(0.75, 0.5, 0.2, 0.3, 0, -300, 10)]]),
    "plus": (-1, [[(0.5, 0), (0.5, 1)], [(0, 0.5), (1, 0.5)]]),
    "tick": (-1, [[(0, 0.6), (0.3, 1), (1, 0)]]),
    "arrow": (-1, [[(0, 0.5), (1, 0.5)], [(0.75, 0.25), (1, 0.5), (0.75, 0.75)]]),
    "zigzag": (-1, [[(0, 0), (0.2, 1), (0.4, 0), (0.6, 1), (0.8, 0), (1, 1)]]),
    "wave": (-1, [[(0.05 * i, 0.5 + 0.4 * math.sin(i * 0.9)) for i in range(21)]]),
    "loops": (-1, [[(t / (6 * math.pi) + 0.12 * math.cos(t), 0.5 + 0.4 * math.sin(t)) for t in np.linspace(0, 6 * math.pi, 60)]]),
    "smiley": (-1, [_arc(0.5, 0.5, 0.5, 0.5, 0, 360, 20), [(0.35, 0.35), (0.36, 0.38)], [(0.65, 0.35), (0.66, 0.38)],
                    _arc(0.5, 0.55, 0.25, 0.2, 20, 160, 8)]),
}


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


def report(name: str, recognizer: Recognizer, clean: tuple, drawn: dict, results: dict, lost: np.ndarray, lean: np.ndarray,
           for_line: tuple) -> tuple[dict, dict[str, np.ndarray]]:
    """The model's row of measurements, and per set which images it read right. `drawn` holds each
    set's drawings (their images dropped once read) and `results` the model's read_all of each.
    `lost` (which pen drawings lost a hole), `lean` (stem_leans of the styles' 1s with a long flag)
    and `for_line` (bench_confidence's validation_digits) depend on the drawings alone, so they are
    made once for all models."""
    images, labels = clean
    line = own_line(recognizer.model, for_line)
    probabilities = recognizer.model.predict_proba(images)
    confidence, predicted = probabilities.max(1)
    rights = {"clean": (predicted == labels).numpy()}
    row = {"weights": name, "clean": (predicted == labels).double().mean().item(),
           "clean_ece": float(expected_calibration_error(confidence, predicted == labels)),
           "clean_7_as_1": int(((labels == 7) & (predicted == 1)).sum())}  # the cost of reading flagged 1s as 1
    for set_name, drawings in drawn.items():
        result = results[set_name]
        right = rights[set_name] = result["top1"] == np.array([d.label for d in drawings])
        measured = digit_report(set_name, drawings, result)
        row[set_name], row[f"{set_name}_refused"], row[f"{set_name}_ece"] = measured["top1"], measured["refused"], measured["ece"]
        if set_name == "pen":
            row["pen_lost_hole"], row["pen_lost_hole_top1"], row["pen_kept_holes_top1"] = lost.mean(), right[lost].mean(), right[~lost].mean()
            row["pen_by_width"] = {f"{lo:.0%}-{hi:.0%}": [round(share, 4), count] for (lo, hi), (share, count) in zip(PEN_BUCKETS, top1_by_pen(drawings, right))}
        if set_name in ("photo", "desk", "margin", "framed", "marked"):
            by, kinds = {"photo": ("paper", PAPERS), "desk": ("surface", DESKS), "margin": ("line", MARGINS), "framed": ("crop", FRAMES),
                         "marked": ("mark", MARKED)}[set_name]
            row[f"{set_name}_by_{by}"] = {kind: [round(share, 4), round(refused, 4), count] for kind, (share, refused, count) in top1_by_kind(drawings, result, kinds).items()}
        if set_name == "styles":  # the worst style: each must read well, not just their mean
            kinds = np.array([d.kind for d in drawings])
            each = {kind: round(float(right[kinds == kind].mean()), 3) for kind in VALIDATION_STYLES}
            worst = min(each, key=each.get)
            row["worst_style"], row["worst_style_top1"], row["each_style"] = worst, each[worst], each
            # What the page would show: a right answer under the model's own line reads "not sure".
            row["not_sure_line"] = line
            sure = right & ~result["refused"] & (result["confidence"] >= line)
            row["each_style_sure"] = {kind: round(float(sure[kinds == kind].mean()), 3) for kind in VALIDATION_STYLES}
            split = top1_by_lean(lean, right)
            row["long_flag_by_lean"] = {name: [round(share, 3), count] for name, (share, count) in split.items()}
    return {k: v if isinstance(v, (str, dict)) else round(float(v), 5) for k, v in row.items()}, rights


def shared_errors(rights: list[dict[str, np.ndarray]]) -> dict:
    """Per set, the share of images misread by all, by at least 3/4, by at least half and by any of the models."""
    out = {"models": len(rights)}
    for set_name in rights[0]:
        wrong = np.stack([~r[set_name] for r in rights]).sum(0)
        n = len(rights)
        out[set_name] = {"all": round(float(np.mean(wrong == n)), 5), "three_quarters": round(float(np.mean(wrong >= 0.75 * n)), 5),
                         "half": round(float(np.mean(wrong >= 0.5 * n)), 5), "any": round(float(np.mean(wrong > 0)), 5)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", default=["shipped"], help="model folders (\"shipped\": the shipped weights)")
    parser.add_argument("--shifts", action="store_true", help="average five one-pixel shifts of each 28x28")
    parser.add_argument("--ensemble", action="store_true", help="also read the folders as one averaged model")
    parser.add_argument("--shared", action="store_true", help="also print the share of images that all / most / any of the folders misread")
    parser.add_argument("--pen-min", type=float, default=cnn.preprocess.PEN_MIN, help="widen strokes thinner than this (px at 80 px; default: %(default)s)")
    parser.add_argument("--pen-target", type=float, default=cnn.preprocess.PEN_TARGET, help="...to this width (default: %(default)s)")
    args = parser.parse_args()
    if (args.pen_min, args.pen_target) != (cnn.preprocess.PEN_MIN, cnn.preprocess.PEN_TARGET):
        print(json.dumps({"pen_min": args.pen_min, "pen_target": args.pen_target}), flush=True)
        cnn.preprocess.PEN_MIN, cnn.preprocess.PEN_TARGET = args.pen_min, args.pen_target

    images, labels = load_mnist(default_data_dir(), train=True)
    _, _, val_x, val_y = split_validation(images, labels)
    digits, digit_labels = val_x.squeeze(1).numpy(), val_y.numpy()
    makers = {"pen": lambda: pen_set(digits, digit_labels, 3000, seed=101), "canvas": lambda: canvas_set(digits, digit_labels, 3000, seed=103),
              "styles": lambda: style_set(200, seed=107, styles=VALIDATION_STYLES),
              "thick": lambda: pen_set(digits, digit_labels, 2000, seed=301, pens=THICK_PENS),
              "photo": lambda: photo_set(digits, digit_labels, 1500, seed=109), "desk": lambda: photo_set(digits, digit_labels, 600, seed=111, desk=True),
              "margin": lambda: photo_set(digits, digit_labels, 600, seed=113, margin=True),
              "framed": lambda: framed_set(digits, digit_labels, 600, seed=115),
              "marked": lambda: marked_set(digits, digit_labels, 600, seed=119)}

    shifts = SHIFTS if args.shifts else SHIFTS[:1]
    recognizers = {f: Recognizer(load_weights(f)) for f in args.folders}
    for recognizer in recognizers.values():
        recognizer.model = Averaged([recognizer.model], shifts)
    readers = {folder + (" +shifts" if args.shifts else ""): recognizer for folder, recognizer in recognizers.items()}
    models = list(readers)
    ensemble = "ensemble of " + " + ".join(args.folders)
    if args.ensemble:
        readers[ensemble] = Recognizer(load_weights(args.folders[0]))
        readers[ensemble].model = Averaged([m for r in recognizers.values() for m in r.model.models], shifts)
    # Each set is read by every model as soon as it is made, and only its drawings' labels and kinds
    # are kept: all the sets' images at once took about 20 GB.
    drawn, results = {}, {name: {} for name in readers}
    for set_name, make in makers.items():
        drawings = make()
        if set_name == "pen":
            lost = lost_hole(drawings, digits)
        if set_name == "styles":
            lean = stem_leans(drawings, "1 long flag")
        for name, reader in readers.items():
            results[name][set_name] = read_all(reader, drawings)
        drawn[set_name] = [replace(d, image=None) for d in drawings]

    for_line = validation_digits(val_x, val_y, torch.Generator().manual_seed(SEED))
    rows = {name: report(name, reader, (val_x, val_y), drawn, results[name], lost, lean, for_line) for name, reader in readers.items()}
    for name in models:
        print(json.dumps(rows[name][0]), flush=True)
    if args.shared:
        print(json.dumps({"misread_by": shared_errors([rows[name][1] for name in models])}), flush=True)
    if args.ensemble:
        print(json.dumps(rows[ensemble][0]), flush=True)


if __name__ == "__main__":
    main()
