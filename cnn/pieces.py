"""Where the ink is: its box, its connected pieces, found from its horizontal runs (cnn.segment
groups them into digits, cnn.marks finds the marks around the writing among them), and the
lengths of runs (cnn.ink's page lines, cnn.marks' rings)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Runs:
    """Horizontal runs of ink: row, first column, column after the last, piece (0-based)."""

    row: np.ndarray
    start: np.ndarray
    end: np.ndarray
    piece: np.ndarray
    count: int  # pieces


def components(binary: np.ndarray) -> tuple[np.ndarray, Runs]:
    """8-connected components: a label image (0: background, 1..n) and the runs of ink.

    Works on horizontal runs of ink, so a drawing costs in runs (a few thousand), not pixels."""
    height, width = binary.shape
    edges = np.diff(np.pad(binary, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    run_rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)  # exclusive; same order as the starts
    n = len(starts)
    if n == 0:
        return np.zeros(binary.shape, np.int32), Runs(run_rows, starts, ends, np.zeros(0, np.int64), 0)
    # Runs in row r - 1 touching run k of row r (8-connected): start <= end_k and end >= start_k.
    # Keys order the runs row by row, so those runs are one contiguous range of the arrays.
    stride = width + 2
    start_keys, end_keys = run_rows * stride + starts, run_rows * stride + ends
    above = (run_rows - 1) * stride
    first = np.searchsorted(end_keys, above + starts, side="left")
    last = np.searchsorted(start_keys, above + ends, side="right")
    reach = np.clip(last - first, 0, None)
    lower = np.repeat(np.arange(n), reach)
    upper = np.repeat(first, reach) + (np.arange(reach.sum()) - np.repeat(np.cumsum(reach) - reach, reach))
    # Each run takes the smallest run index it is joined to, until nothing changes.
    parent = np.arange(n)
    while True:
        low = np.minimum(parent[lower], parent[upper])
        before = parent.copy()
        np.minimum.at(parent, lower, low)
        np.minimum.at(parent, upper, low)
        parent = parent[parent]  # pointer jumping: chains shorten by half each round
        if np.array_equal(parent, before):
            break
    roots, piece = np.unique(parent, return_inverse=True)
    labels = np.zeros((height, width + 1), np.int32)
    # Paint the runs: +label at each start, -label at each end, then a running sum per row.
    np.add.at(labels, (run_rows, starts), piece + 1)
    np.add.at(labels, (run_rows, ends), -(piece + 1))
    # (dtype: numpy would widen to int64 first, which takes 15 times as long on a 400 px canvas)
    return np.cumsum(labels, axis=1, dtype=np.int32)[:, :width], Runs(run_rows, starts, ends, piece, len(roots))


def ink_box(ink: np.ndarray) -> tuple[slice, slice] | None:
    """The smallest rows x columns window holding every nonzero pixel; None when there is none."""
    nonzero = ink != 0  # once: any() on a float map converts it on each of its two passes (half the time here)
    rows, cols = np.flatnonzero(nonzero.any(axis=1)), np.flatnonzero(nonzero.any(axis=0))
    if rows.size == 0:
        return None
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def run_lengths(trues: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of `trues` (rows, K), how many Trues run from column `at` (per row) leftwards and
    rightwards, each counting `at` itself (0 and 0 where it is False)."""
    index = np.arange(trues.shape[1])
    last_false = np.maximum.accumulate(np.where(trues, -1, index), axis=1)  # at or before each column
    next_false = np.minimum.accumulate(np.where(trues, trues.shape[1], index)[:, ::-1], axis=1)[:, ::-1]
    rows = np.arange(len(trues))
    return at - last_false[rows, at], next_false[rows, at] - at


def piece_rows(runs: Runs) -> tuple[np.ndarray, np.ndarray]:
    """Each piece's first row and the row after its last."""
    top = np.full(runs.count, np.iinfo(np.int64).max)
    bottom = np.zeros(runs.count, np.int64)
    np.minimum.at(top, runs.piece, runs.row)
    np.maximum.at(bottom, runs.piece, runs.row + 1)
    return top, bottom
