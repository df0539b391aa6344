"""Training on this machine: the shipped recipe against the original one, in the same run.

    python benchmarks/bench_training.py                 # both recipes in full (~20 min on 2 cores)
    python benchmarks/bench_training.py --epochs 2      # a quick look

The original recipe: original architecture, Adam 1e-3 (constant), batch 64, no augmentation,
float32, no weight averaging, no outlier exposure, 10 epochs. Both hold out the same 5,000
validation digits, on which "time to" is measured. Prints a Markdown table; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RECIPES = {
    "original (Adam 1e-3, batch 64, no augmentation)": [
        "--arch", "original", "--epochs", "10", "--batch-size", "64", "--lr", "1e-3", "--schedule", "constant",
        "--weight-decay", "0", "--ema-decay", "0", "--no-augment", "--no-bf16", "--outliers", "0",
    ],
    "shipped (python train.py)": [],
}


def time_to(history: list[dict], accuracy: float) -> str:
    elapsed = 0.0
    for epoch in history:
        elapsed += epoch["seconds"]
        if epoch["val_acc"] >= accuracy:
            return f"{elapsed:.0f} s (epoch {epoch['epoch']})"
    return "not reached"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=None, help="override every recipe's epochs (quick look)")
    args = parser.parse_args()
    rows = []
    for name, flags in RECIPES.items():
        with tempfile.TemporaryDirectory() as out:
            command = [sys.executable, str(ROOT / "train.py"), *flags, "--out", out]
            if args.epochs:
                command += ["--epochs", str(args.epochs)]
            print("running:", " ".join(command[1:]), flush=True)
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            metrics = json.loads((Path(out) / "metrics.json").read_text())
        history = metrics["history"]
        per_epoch = sum(e["seconds"] for e in history) / len(history)
        rows.append((name, per_epoch, time_to(history, 0.995), time_to(history, 0.996), metrics))
    print("\n| recipe | s per epoch | time to 99.5% (validation) | time to 99.6% (validation) | final test accuracy | total |")
    print("|---|---|---|---|---|---|")
    for name, per_epoch, to995, to996, metrics in rows:
        print(
            f"| {name} | {per_epoch:.1f} | {to995} | {to996} | {metrics['test_accuracy']:.2%} "
            f"({metrics['epochs']} epochs) | {metrics['train_seconds']:.0f} s |"
        )


if __name__ == "__main__":
    main()
