"""Choosing the app's thresholds on the validation split, never on a benchmark or the test set.

    python benchmarks/bench_confidence.py [--weights runs/x]

The validation split is the last 5,000 MNIST training digits, which train.py holds out: as they
are, and once through the training augmentation (a different seed from the calibration's), since
drawings vary more than MNIST does. Against them, synthetic non-digits from the training
generator (cnn.augment.non_digits). For each threshold on the
calibrated top-1 probability it prints how many right and wrong answers fall below it: the
"not sure" line (cnn.serve.LOW_CONFIDENCE) and the "not a digit" floor (cnn.serve.NOT_A_DIGIT_BELOW)
are read off this table. Asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnn.augment import Augmentation, augment, distort, non_digits  # noqa: E402
from cnn.data import default_data_dir, load_mnist, split_validation  # noqa: E402
from cnn.metrics import calibrated_top1, expected_calibration_error, logits_of  # noqa: E402
from cnn.serve import LOW_CONFIDENCE, NOT_A_DIGIT_BELOW  # noqa: E402
from weights_arg import load_weights  # noqa: E402


THRESHOLDS = (0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999)
MOST_WRONG_SURE = 0.25  # issue 9: at most one wrong answer in four shown as sure
SEED = 2027  # of the augmentation and the non-digits; bench_validation.py reads the same digits


def validation_digits(val_x: torch.Tensor, val_y: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The validation digits as they are and once through the training augmentation, and their labels."""
    return torch.cat([val_x, augment(val_x, val_y, Augmentation(), generator)]), torch.cat([val_y, val_y])


def confidence_and_right(model, digits: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Calibrated top-1 probability of `model` (anything with predict_proba) on (images, labels),
    and whether each answer is right."""
    images, labels = digits
    with torch.no_grad():
        confidence, predicted = torch.cat([model.predict_proba(chunk) for chunk in images.split(1000)]).max(1)
    return confidence, predicted == labels


def not_sure_line(confidence: torch.Tensor, right: torch.Tensor) -> float:
    """The lowest of THRESHOLDS with at most MOST_WRONG_SURE of the wrong answers at or above it:
    how cnn.serve.LOW_CONFIDENCE was chosen. A candidate recipe is judged at its own line, the
    one it would ship with: a model that is surer of everything, wrong answers included, gets a
    higher line (BENCHMARKS.md, label smoothing)."""
    wrong = confidence[~right]
    return next((t for t in THRESHOLDS if (wrong >= t).double().mean() <= MOST_WRONG_SURE), 1.0)


def own_line(model, for_line: tuple[torch.Tensor, torch.Tensor]) -> float:
    """not_sure_line of `model` (anything with predict_proba) on validation_digits' (digits, labels)."""
    return not_sure_line(*confidence_and_right(model, for_line))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default="shipped", help='model folder ("shipped", the default: the shipped weights)')
    args = parser.parse_args()
    model = load_weights(args.weights)
    images, labels = load_mnist(default_data_dir(), train=True)
    _, _, val_x, val_y = split_validation(images, labels)
    generator = torch.Generator().manual_seed(SEED)
    digits = validation_digits(val_x, val_y, generator)
    confidence, right = confidence_and_right(model, digits)
    others = distort(non_digits(5000, generator), Augmentation(), generator).clamp(0, 1)
    others = others / others.amax(dim=(1, 2, 3), keepdim=True).clamp(min=1e-6)
    other_confidence, _ = calibrated_top1(logits_of(model, others), model.temperature)

    print(f"weights: {args.weights}, temperature {model.temperature:g}")
    print(
        f"validation digits: {len(right):,} (as they are + augmented), {right.double().mean():.2%} read right, "
        f"ECE {expected_calibration_error(confidence, right):.2%}; synthetic non-digits: {len(others):,}\n"
    )
    print("| threshold | right answers below it | wrong answers below it | non-digits below it |")
    print("|---|---|---|---|")
    for threshold in THRESHOLDS:
        mark = " (not sure)" if threshold == LOW_CONFIDENCE else " (not a digit)" if threshold == NOT_A_DIGIT_BELOW else ""
        print(
            f"| {threshold:g}{mark} | {(confidence[right] < threshold).double().mean():.2%} "
            f"| {(confidence[~right] < threshold).double().mean():.0%} | {(other_confidence < threshold).double().mean():.0%} |"
        )
    print(f"\nlowest line with at most {MOST_WRONG_SURE:.0%} of wrong answers at or above it: {not_sure_line(confidence, right):g} "
          f"(the app's, cnn.serve.LOW_CONFIDENCE: {LOW_CONFIDENCE:g})")


if __name__ == "__main__":
    main()
