"""Train recipes with several seeds each, many runs at once, to choose between them on validation.

    python benchmarks/train_seeds.py --seeds 0-4 --recipe default= --recipe retrace70="--retrace 0.7" --device cuda

A seed alone moves the validation sets by 0.1-0.6 points (BENCHMARKS.md), as much as most recipe
changes do: comparing recipes needs several seeds each. Each run is `python train.py SEED_FLAGS
RECIPE_FLAGS --out OUT/NAME-sSEED`; `--parallel` of them run at once, each with `--threads`
CPU threads. On a GPU, run them all at once: each run keeps a CPU core busy launching small
kernels. With CUDA MPS started (`nvidia-cuda-mps-control -d`), eleven runs at once on an H200
took 8-9 s an epoch each, and no less once only six were left; fourteen at once on an H100 took
266 s for all of them, about 10 s an epoch each (2026-11-26). The same seed gives the same weights,
bit for bit, on both cards (torch 2.11.0+cu130): GPU runs of earlier sessions need not be run
again. On a 2-core CPU, one at a time (`--parallel 1 --threads 0`).

Prints each run's validation accuracy and time, and each recipe's mean; then read the folders with
`python benchmarks/bench_validation.py OUT/* --shared`. (Each log ends with the MNIST test accuracy
that train.py prints: never choose on it.) Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def seed_list(text: str) -> list[int]:
    """"0-4" or "0,2,5"."""
    if "-" in text:
        first, last = text.split("-")
        return list(range(int(first), int(last) + 1))
    return [int(s) for s in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", action="append", required=True, metavar='NAME="FLAGS"',
                        help='a recipe: its name and the train.py flags that make it (NAME= for the defaults); repeat for each')
    parser.add_argument("--seeds", type=seed_list, default=[0, 1, 2], help="seeds, as 0-4 or 0,2,5 (default: 0-2)")
    parser.add_argument("--out", default="runs/seeds", help="folder for the runs' folders and logs")
    parser.add_argument("--parallel", type=int, default=0, help="runs at once (0: all)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per run (train.py --threads)")
    parser.add_argument("--device", default="auto", help="train.py --device")
    args = parser.parse_args()

    recipes = {}
    for spec in args.recipe:
        name, equals, flags = spec.partition("=")
        if not name or not equals or "/" in name:
            parser.error(f"--recipe {spec!r}: expected NAME=\"train.py flags\"")
        recipes[name] = shlex.split(flags)
    out = Path(args.out).resolve()  # the runs start in the repository's root
    out.mkdir(parents=True, exist_ok=True)
    queue = [(f"{name}-s{seed}", flags, seed) for seed in args.seeds for name, flags in recipes.items()]
    limit = args.parallel or len(queue)
    running: dict[str, subprocess.Popen] = {}
    failed = []
    started = time.time()
    while queue or running:
        while queue and len(running) < limit:
            run, flags, seed = queue.pop(0)
            command = [sys.executable, str(ROOT / "train.py"), "--seed", str(seed), "--threads", str(args.threads),
                       "--device", args.device, *flags, "--out", str(out / run)]
            with open(out / f"{run}.log", "w") as log:
                running[run] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
            print(f"started {run}: {shlex.join(command[1:])}", flush=True)
        time.sleep(2)
        for run, process in list(running.items()):
            if process.poll() is not None:
                del running[run]
                if process.returncode:
                    failed.append(run)
                print(f"{'FAILED' if process.returncode else 'finished'} {run} ({time.time() - started:.0f} s)", flush=True)

    print("\n| run | validation accuracy | training s |\n|---|---|---|")
    for name in recipes:
        values = []
        for seed in args.seeds:
            metrics_file = out / f"{name}-s{seed}" / "metrics.json"
            if metrics_file.is_file():
                metrics = json.loads(metrics_file.read_text())
                values.append(metrics["validation_accuracy"])
                print(f"| {name}-s{seed} | {metrics['validation_accuracy']:.2%} | {metrics['train_seconds']:.0f} |")
        if values:
            print(f"| {name}, mean of {len(values)} | {sum(values) / len(values):.3%} | |")
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)} (logs in {out})")


if __name__ == "__main__":
    main()
