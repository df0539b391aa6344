"""Marks people draw around what they wrote, which are not digits: a line under it (or two), and a
ring around it (a circle, or a box drawn by hand).

Only marks that stand apart from the writing are found: each is a piece of ink of its own (see
cnn.pieces), and what it marks is the rest of the ink. An underline is a thin straight piece,
nearly level, under the rest and about as wide as some of it; a ring is a piece whose holes hold
all of the rest.
"""

from __future__ import annotations

import numpy as np

from .pieces import components, ink_box

# An underline is at least this share of the marked writing's height long: a short stroke under
# a digit is more likely a part of it.
UNDERLINE_LENGTH = 0.4
UNDERLINE_TILT = 0.18  # at most about 10 degrees from level
# Its ink lies within this share of the writing's height of a straight line (the pen and a bow)...
UNDERLINE_THICKNESS = 0.3
UNDERLINE_ELONGATION = 3  # ...and it is at least this many times as long as that
# At most this share of the writing's ink lies below the underline's top edge...
BELOW_UNDERLINE = 0.01
# ...and the rest is at least this share of the writing's height above it. A stroke closer than
# that is the writing's own: a 1's foot drawn apart from its stem (without it, a 1 with a flag
# reads as 7), a 2's base (as cnn.segment.JOIN_GAP joins such pieces to their digit).
MARK_GAP = 0.06
# What a ring holds is at least this share of the ring's height: a dot inside a 0 is the 0's.
RING_CONTENT = 0.3
MAX_PIECES = 96  # more pieces than this are a scribble or a texture, not writing with marks
SIDE = 256  # pieces are looked for on the ink's box reduced to about this many px a side


def off_the_marks(ink: np.ndarray) -> np.ndarray:
    """The ink map without the underlines and rings that stand apart from the writing."""
    box = ink_box(ink)
    if box is None:
        return ink
    # The pieces are found on the ink's box pooled to about SIDE px: each cell is ink where any of
    # its pixels is. Pieces closer than a cell join, so a mark is never found where there is none.
    inked = ink[box] > 0
    step = -(-max(inked.shape) // SIDE)
    height, width = -(-inked.shape[0] // step), -(-inked.shape[1] // step)
    cells = np.pad(inked, ((0, height * step - inked.shape[0]), (0, width * step - inked.shape[1])))
    cells = cells.reshape(height, step, width, step).any(axis=(1, 3))
    labels, runs = components(cells)
    if not 2 <= runs.count <= MAX_PIECES:
        return ink
    ys, xs = np.nonzero(cells)
    piece = labels[ys, xs] - 1
    kept = np.ones(runs.count, bool)
    found = True
    while found and kept.sum() > 1:  # a mark found may show another (two underlines, a ring and a line)
        found = False
        pieces = np.flatnonzero(kept)
        at = {m: piece == m for m in pieces}
        lines = {m: _level_line(ys[at[m]], xs[at[m]], np.ptp(ys[kept[piece] & ~at[m]]) + 1) for m in pieces}
        # The writing is what is not a line: the lines under it are measured against it alone.
        writing = kept[piece] & ~np.isin(piece, [m for m, line in lines.items() if line is not None])
        for mark in pieces:
            rest = kept[piece] & ~at[mark]
            line = lines[mark]
            if (line is not None and writing.any() and _under(line, xs[at[mark]], ys[writing], xs[writing])) or _ring(
                ys[at[mark]], xs[at[mark]], ys[rest], xs[rest]
            ):
                kept[mark] = False
                found = True
                break
    if kept.all():
        return ink
    marks = np.isin(labels, np.flatnonzero(~kept) + 1)
    marks = np.repeat(np.repeat(marks, step, axis=0), step, axis=1)[: inked.shape[0], : inked.shape[1]]
    out = ink.copy()
    out[box] = np.where(marks, 0, ink[box])
    return out


def _level_line(ys: np.ndarray, xs: np.ndarray, height: int) -> tuple[float, float] | None:
    """(tilt, the y of its top edge at x = 0) when the piece at (ys, xs) is a thin straight line,
    nearly level, long for writing `height` px tall; None when it is not."""
    length = np.ptp(xs) + 1
    if length < UNDERLINE_LENGTH * height or np.ptp(ys) + 1 > UNDERLINE_THICKNESS * height + UNDERLINE_TILT * length:
        return None
    tilt, level = np.polyfit(xs, ys, 1)
    off = ys - (tilt * xs + level)
    thickness = np.ptp(off) + 1
    if abs(tilt) > UNDERLINE_TILT or thickness > UNDERLINE_THICKNESS * height or length < UNDERLINE_ELONGATION * thickness:
        return None
    return float(tilt), float(level + off.min())


def _under(line: tuple[float, float], xs: np.ndarray, writing_ys: np.ndarray, writing_xs: np.ndarray) -> bool:
    """Whether a level line (_level_line's, over the columns xs) lies under the writing: under
    some of it, with the writing above it and apart from it."""
    overlap = min(xs.max(), writing_xs.max()) - max(xs.min(), writing_xs.min()) + 1
    if overlap < 0.5 * min(np.ptp(xs) + 1, np.ptp(writing_xs) + 1):
        return False
    tilt, top = line
    above = tilt * writing_xs + top - writing_ys  # how far above the line's top edge
    gap = float(np.min(above, where=above > 0, initial=np.inf))
    return float(np.mean(above <= 0)) <= BELOW_UNDERLINE and gap >= MARK_GAP * (np.ptp(writing_ys) + 1)


def _ring(ys: np.ndarray, xs: np.ndarray, rest_ys: np.ndarray, rest_xs: np.ndarray) -> bool:
    """Whether the piece at (ys, xs) holds all the writing at (rest_ys, rest_xs) in its holes."""
    top, left = ys.min(), xs.min()
    height, width = ys.max() + 1 - top, xs.max() + 1 - left
    inside = (rest_ys > top) & (rest_ys < top + height - 1) & (rest_xs > left) & (rest_xs < left + width - 1)
    if not inside.all() or np.ptp(rest_ys) + 1 < RING_CONTENT * height:
        return False
    # The paper in the piece's box, with a margin of one all round: what the margin's paper
    # does not reach is a hole. (Paper is joined diagonally too: a ring that closes only at a
    # corner holds nothing.)
    paper = np.ones((height + 2, width + 2), bool)
    paper[ys - top + 1, xs - left + 1] = False
    areas, _ = components(paper)
    return bool(np.all(areas[rest_ys - top + 1, rest_xs - left + 1] != areas[0, 0]))
