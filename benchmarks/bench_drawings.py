"""How well the served model reads drawings it was never trained on: pens, styles, non-digits.

    python benchmarks/bench_drawings.py                    # the shipped weights
    python benchmarks/bench_drawings.py --weights runs/x   # another model folder
    python benchmarks/bench_drawings.py --quick            # a quarter of the images

Sets (e) and (f) need scikit-learn (`pip install scikit-learn`, for its bundled `load_digits`)
and Debian's DejaVu fonts; without them the script says so and measures the rest.

Reads every drawing the way the app does (`cnn.serve.Recognizer.read`: to_mnist, the refusal
check, the model, top-3) and prints Markdown tables; asserts nothing. The drawings come from
`benchmarks/drawings.py`, which says why none of them derives from anything used in training.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cnn  # noqa: E402
from cnn.data import default_data_dir, load_mnist  # noqa: E402
from cnn.metrics import expected_calibration_error  # noqa: E402
from cnn.preprocess import INK_LEVEL, euler_number  # noqa: E402
from cnn.pieces import components  # noqa: E402
from cnn.serve import LOW_CONFIDENCE, Recognizer  # noqa: E402
from drawings import DESKS, FRAMES, MARGINS, MARKED, NON_DIGIT_KINDS, PAPERS, Drawing, canvas_set, font_set, framed_set, marked_set, non_digit_set, pen_set, photo_set, scan_set, stem_lean, style_set  # noqa: E402
from weights_arg import load_weights  # noqa: E402

PEN_BUCKETS = ((0.0, 0.04), (0.04, 0.08), (0.08, 0.12), (0.12, 0.19))
PENS = "(a) pen-retraced MNIST test"
STYLES = "(b) styles"
PHOTOS = "(g) phone photos of pen-retraced MNIST test digits"
DESK_PHOTOS = "(h) the same, the page lying on a desk in the photo"
MARGIN_PHOTOS = "(i) the same, on ruled paper with a margin line"
FRAMED = "(j) pen-retraced MNIST test digits in a printed box"
MARKS = "(k) pen-retraced MNIST test digits, underlined or ringed"
# A 1 with a long flag leaning right ("/") by more than a few degrees looks like a 7 whose bar
# droops (BENCHMARKS.md, bench_flagged_one.py): its top-1 is reported by lean.
LEAN_BUCKETS = {"leaning left": (-90.0, -5.0), "upright (within 5 degrees)": (-5.0, 5.0), "leaning right": (5.0, 90.0)}


def top1_by_lean(lean: np.ndarray, right: np.ndarray) -> dict[str, tuple[float, int]]:
    """Per LEAN_BUCKETS: the share read right and the number of drawings, given each drawing's
    stem_lean (NaN: not counted)."""
    out = {}
    for name, (lo, hi) in LEAN_BUCKETS.items():
        inside = (lean >= lo) & (lean < hi)
        out[name] = (float(right[inside].mean()) if inside.any() else float("nan"), int(inside.sum()))
    return out


def top1_by_pen(drawings: list[Drawing], right: np.ndarray) -> list[tuple[float, int]]:
    """Per PEN_BUCKETS (pen width / digit height): the share read right and the number of drawings."""
    ratio = np.array([d.pen_ratio for d in drawings])
    out = []
    for lo, hi in PEN_BUCKETS:
        inside = (ratio > lo if lo else ratio > 0) & (ratio <= hi)
        out.append((float(right[inside].mean()) if inside.any() else float("nan"), int(inside.sum())))
    return out


def holes(pixels: np.ndarray) -> int:
    """Holes in the ink of a 28x28 image: its 8-connected pieces minus its Euler number (pieces
    minus holes), both counted as the app counts them."""
    ink = pixels > INK_LEVEL  # as cnn.preprocess's handwriting check counts ink
    return round(components(ink)[1].count - euler_number(ink))


def lost_hole(drawings: list[Drawing], digits: np.ndarray) -> np.ndarray:
    """Per drawing of an MNIST digit: whether its 28x28 (to_mnist) has fewer holes than the digit.
    A loop that MNIST drew filled has no centre line around it, so its retrace can come back
    without it (a 6 as an L): such a drawing no longer shows its digit."""
    return np.array([holes(cnn.to_mnist(d.image)) < holes(digits[d.source]) for d in drawings])


def read_all(recognizer: Recognizer, drawings: list[Drawing], batch: int = 64) -> dict[str, np.ndarray]:
    """Per drawing: the model's top-1 digit (-1 when blank; kept when the app refuses the drawing,
    which `refused` says), its probability, top-3 hit, refused."""
    top1, confidence, top3, refused = [], [], [], []
    for start in range(0, len(drawings), batch):
        chunk = drawings[start : start + batch]
        for drawing, reading in zip(chunk, recognizer.read([d.image for d in chunk])):
            stopped = reading is None or not reading.is_digit
            refused.append(stopped)
            top1.append(-1 if reading is None else int(reading.digit))
            confidence.append(0.0 if reading is None else reading.top[reading.digit])
            top3.append(reading is not None and str(drawing.label) in reading.top)
    return dict(top1=np.array(top1), confidence=np.array(confidence), top3=np.array(top3), refused=np.array(refused))


def digit_report(name: str, drawings: list[Drawing], result: dict[str, np.ndarray]) -> dict[str, float]:
    labels = np.array([d.label for d in drawings])
    right = result["top1"] == labels
    answered = ~result["refused"]
    wrong_shown = answered & ~right
    sure = result["confidence"] >= LOW_CONFIDENCE
    # Calibration of what the model says, refusal or not: the probabilities are its own.
    inked = result["top1"] >= 0
    return dict(
        set=name,
        n=len(drawings),
        top1=right.mean(),
        shown_right=(right & answered).mean(),
        top3=result["top3"].mean(),
        refused=result["refused"].mean(),
        ece=expected_calibration_error(torch.from_numpy(result["confidence"][inked]), torch.from_numpy(right[inked])),
        wrong_sure=(wrong_shown & sure).sum() / max(1, wrong_shown.sum()),
        wrong=int(wrong_shown.sum()),
    )


def print_digit_sets(rows: list[dict]) -> None:
    print(f"| set | drawings | top-1 | shown right (top-1, not refused) | top-3 | refused ('not a digit' or blank) | ECE | wrong answers shown as sure (>= {LOW_CONFIDENCE:.2f}) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['set']} | {r['n']:,} | {r['top1']:.2%} | {r['shown_right']:.2%} | {r['top3']:.2%} | {r['refused']:.2%} | {r['ece']:.2%} "
            f"| {r['wrong_sure']:.0%} (of {r['wrong']}) |"
        )


def print_breakdowns(sets: dict[str, tuple[list[Drawing], dict]]) -> None:
    print("\nErrors per digit (the model's top-1 is wrong; a canvas read as blank counts as wrong):\n")
    print("| set | " + " | ".join(str(d) for d in range(10)) + " |")
    print("|---|" + "---|" * 10)
    for name, (drawings, result) in sets.items():
        labels = np.array([d.label for d in drawings])
        wrong = result["top1"] != labels
        cells = [f"{wrong[labels == d].sum()}/{(labels == d).sum()}" if (labels == d).any() else "" for d in range(10)]
        print(f"| {name} | " + " | ".join(cells) + " |")

    print("\nTop-1 by pen width (pen / digit height):\n")
    print("| set | " + " | ".join(f"{lo:.0%}-{hi:.0%}" for lo, hi in PEN_BUCKETS) + " |")
    print("|---|" + "---|" * len(PEN_BUCKETS))
    for name, (drawings, result) in sets.items():
        right = result["top1"] == np.array([d.label for d in drawings])
        cells = [f"{share:.2%} ({count})" if count else "" for share, count in top1_by_pen(drawings, right)]
        print(f"| {name} | " + " | ".join(cells) + " |")


def print_styles(drawings: list[Drawing], result: dict, leans: np.ndarray) -> None:
    """`leans`: stem_leans(drawings, "european 1 (flag)")."""
    print("\nStyles (b), each:\n")
    print("| style | top-1 | refused | read as |")
    print("|---|---|---|---|")
    by_kind = defaultdict(list)
    for index, drawing in enumerate(drawings):
        by_kind[drawing.kind].append(index)
    for kind, indices in by_kind.items():
        label = drawings[indices[0]].label
        top1 = result["top1"][indices]
        misreads = defaultdict(int)
        for t in top1[top1 != label]:
            misreads["refused" if t < 0 else str(t)] += 1
        shown = ", ".join(f"{k}: {v}" for k, v in sorted(misreads.items(), key=lambda kv: -kv[1])) or "-"
        print(f"| {kind} | {(top1 == label).mean():.1%} | {result['refused'][indices].mean():.1%} | {shown} |")
    split = top1_by_lean(leans, result["top1"] == 1)  # only the flagged 1s have a lean
    print("\nEuropean 1 (flag) by the lean of its stem (`stem_lean`, measured on each drawing): "
          + "; ".join(f"{name} {share:.1%} of {count}" for name, (share, count) in split.items()))


def stem_leans(drawings: list[Drawing], kind: str) -> np.ndarray:
    """Per drawing: the lean of its stem (stem_lean) for the drawings of `kind`, NaN for the others."""
    return np.array([stem_lean(d.image) if d.kind == kind else np.nan for d in drawings])


def print_lost_holes(drawings: list[Drawing], result: dict, lost: np.ndarray) -> None:
    """`lost`: lost_hole() of the drawings."""
    right = result["top1"] == np.array([d.label for d in drawings])
    print(f"(a) by the holes of the retrace: {lost.sum()} of {len(drawings)} ({lost.mean():.1%}) lost a hole of their MNIST digit, "
          f"top-1 {right[lost].mean():.2%}; the other {(~lost).sum()}, {right[~lost].mean():.2%}\n")


def top1_by_kind(drawings: list[Drawing], result: dict, kinds: tuple[str, ...]) -> dict[str, tuple[float, float, int]]:
    """Photos per paper (set (g): PAPERS), desk (set (h): DESKS) or margin line (set (i): MARGINS):
    the share read right, the share refused, how many."""
    kind, right = np.array([d.kind for d in drawings]), result["top1"] == np.array([d.label for d in drawings])
    return {name: (float(right[kind == name].mean()), float(result["refused"][kind == name].mean()), int((kind == name).sum()))
            for name in kinds}


def print_photos(results: dict) -> None:
    for name, by, kinds in ((PHOTOS, "paper", PAPERS), (DESK_PHOTOS, "desk", DESKS), (MARGIN_PHOTOS, "margin line", MARGINS), (FRAMED, "crop", FRAMES), (MARKS, "mark", MARKED)):
        print(f"\n{name[:3]} by {by}: " + "; ".join(f"{kind} {right:.2%} read right, {refused:.2%} refused, of {count}"
                                                 for kind, (right, refused, count) in top1_by_kind(*results[name], kinds).items()))


def print_non_digits(drawings: list[Drawing], result: dict) -> None:
    print("\nNon-digits (d): refused, or answered with a digit (not refused) at these top-1 probabilities:\n")
    print(f"| kind | drawings | refused ('not a digit') | a digit at >= 0.90 | shown as sure (>= {LOW_CONFIDENCE:.2f}) | a digit at >= 0.50 |")
    print("|---|---|---|---|---|---|")
    kinds = np.array([d.kind.split()[0] for d in drawings])
    for kind in (*NON_DIGIT_KINDS, "all"):
        inside = kinds == kind if kind != "all" else np.ones(len(kinds), bool)
        shown = ~result["refused"][inside]
        conf = result["confidence"][inside]
        cells = [f"{(shown & (conf >= t)).mean():.1%}" for t in (0.9, LOW_CONFIDENCE, 0.5)]
        print(f"| {kind} | {inside.sum()} | {result['refused'][inside].mean():.1%} | " + " | ".join(cells) + " |")


def every(drawings: list[Drawing] | None, share: int) -> list[Drawing] | None:
    return None if drawings is None else drawings[::share]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default="shipped", help='model folder ("shipped", the default: the shipped weights)')
    parser.add_argument("--quick", action="store_true", help="a quarter of the images")
    args = parser.parse_args()
    share = 4 if args.quick else 1

    model = load_weights(args.weights)
    recognizer = Recognizer(model)
    images, labels = load_mnist(default_data_dir(), train=False)  # MNIST *test* digits only
    images, labels = images.squeeze(1).numpy(), labels.numpy()

    # Each set is read as soon as it is made, and only what the tables need is kept of it: the
    # images of every set at once took about 18 GB.
    makers = {
        PENS: lambda: pen_set(images, labels, 4000 // share),
        STYLES: lambda: style_set(400 // share),
        "(c) canvas redraw (earlier benchmark)": lambda: canvas_set(images, labels, 2000 // share),
        # Material from outside the project, when the machine has it (printed as missing otherwise).
        "(e) scans by 43 other writers (scikit-learn)": lambda: every(scan_set(), share),
        "(f) DejaVu fonts": lambda: every(font_set(), share),
        PHOTOS: lambda: photo_set(images, labels, 1500 // share),
        DESK_PHOTOS: lambda: photo_set(images, labels, 600 // share, seed=9, desk=True),
        MARGIN_PHOTOS: lambda: photo_set(images, labels, 600 // share, seed=10, margin=True),
        FRAMED: lambda: framed_set(images, labels, 600 // share),
        MARKS: lambda: marked_set(images, labels, 600 // share),
    }
    results, making, started = {}, 0.0, time.perf_counter()
    for name, make in makers.items():
        begun = time.perf_counter()
        drawings = make()
        making += time.perf_counter() - begun
        if drawings is None:
            print(f"{name}: not measured here (see benchmarks/drawings.py for what it needs)")
            continue
        result = read_all(recognizer, drawings)
        if name == PENS:
            lost = lost_hole(drawings, images)
        if name == STYLES:
            leans = stem_leans(drawings, "european 1 (flag)")
        results[name] = ([replace(d, image=None) for d in drawings], result)
    others = non_digit_set(2000 // share)
    print(f"weights: {args.weights}; temperature {model.temperature:g}; drawings made in {making:.0f} s, "
          f"made and read in {time.perf_counter() - started:.0f} s\n")

    rows = [digit_report(name, drawings, result) for name, (drawings, result) in results.items()]
    print_digit_sets(rows)
    print_breakdowns(results)
    print_styles(*results[STYLES], leans)
    print_lost_holes(*results[PENS], lost)
    print_photos(results)
    print_non_digits(others, read_all(recognizer, others))


if __name__ == "__main__":
    main()
