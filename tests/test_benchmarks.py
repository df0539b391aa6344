"""The numbers benchmark runs end to end, every report and sweep, in its --dry-run size (a
hundredth of each set): a change to what it measures (cnn.serve's Choice, NumberReading) that
breaks a sweep fails here rather than in the next half-hour run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import bench_numbers  # noqa: E402

MODES = {
    "reports": [],  # the test drawings' tables
    "choose-cut-evidence": ["--choose-cut-evidence"],
    "choose-wide-evidence": ["--choose-wide-evidence"],
    "choose-wide-whole": ["--choose-wide-whole"],
    "choose-cut-side": ["--choose-cut-side"],
    "cut-sure": ["--cut-sure"],
    "validation": ["--validation-photos", "--validation-tilted"],
}


@pytest.mark.slow
@pytest.mark.parametrize("flags", MODES.values(), ids=MODES.keys())
def test_bench_numbers_prints_its_tables(flags, capsys, mnist_test):
    # mnist_test: the benchmark reads MNIST where the tests do; without it, conftest's clear failure
    bench_numbers.main(["--dry-run", "--no-api", *flags])
    printed = capsys.readouterr().out
    rows = [line for line in printed.splitlines() if line.startswith("| ") and not line.startswith("|---")]
    rules = printed.count("\n|---")
    assert rules >= 1 and len(rows) > 2 * rules, printed  # every table has its header and rows
