"""Marks people draw around what they wrote, which are not digits: a line under it (or two), and a
ring around it (a circle, or a box drawn by hand).

An underline is found when it stands apart from the writing: a piece of ink of its own (see
cnn.pieces), thin, straight, nearly level, under the rest of the ink. A ring is a piece whose
holes hold all the rest; or, when the writing touches it, a piece whose outline is an ellipse
with nothing sticking out, seen first from outside, with tall writing deeper inside it.
"""

from __future__ import annotations

import numpy as np

from .pieces import components, ink_box, piece_rows, run_lengths

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
# The tallest piece a ring holds is at least this share of its height: a dot inside a 0 (or the
# specks a photo leaves in it) is the 0's.
RING_CONTENT = 0.3
# A ring the writing touches: the paper it shuts off spans at least this share of its height and
# width; it is peeled this many times its pen's width deep; its outline lies within this share of
# its half-size of an ellipse (90% of it; the ring's own half-size is 1 both ways)...
RING_HOLE = 0.5
RING_PEEL = 1.5
RING_ROUND = 0.05
# Nothing sticks out of it by more than this share of its half-size: validation slashed 0s stick
# out by 0.11 to 0.36. (Without this check, 2 of their 200 were read as a 1 in a ring.)
RING_SPUR = 0.08
MAX_PIECES = 96  # more pieces than this are a scribble or a texture, not writing with marks
SIDE = 128  # pieces are looked for on the ink's box reduced to about this many px a side


def off_the_marks(ink: np.ndarray) -> np.ndarray:
    """The ink map without the lines under the writing that stand apart from it, and without the
    rings around it, apart from it or touching it."""
    box = ink_box(ink)
    if box is None:
        return ink
    # The pieces are found on the ink's box pooled to about SIDE px: each cell is ink where any of
    # its pixels is. Pieces closer than a cell join: a ring that close is one that touches.
    inked = ink[box] > 0
    step = -(-max(inked.shape) // SIDE)
    cells = np.zeros((-(-inked.shape[0] // step), -(-inked.shape[1] // step)), bool)
    for dy in range(step):  # step² strided views: cheaper here than any() over a 4-d reshape
        for dx in range(step):
            part = inked[dy::step, dx::step]
            cells[: part.shape[0], : part.shape[1]] |= part
    labels, runs = components(cells)
    if not 1 <= runs.count <= MAX_PIECES:
        return ink
    ys, xs = np.nonzero(cells)
    piece = labels[ys, xs] - 1
    tops, bottoms = piece_rows(runs)
    heights = bottoms - tops
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
            tallest = heights[kept & (np.arange(runs.count) != mark)].max()
            if (line is not None and writing.any() and _under(line, xs[at[mark]], ys[writing], xs[writing])) or _ring(
                ys[at[mark]], xs[at[mark]], ys[rest], xs[rest], tallest
            ):
                kept[mark] = False
                found = True
                break
    marks = np.isin(labels, np.flatnonzero(~kept) + 1)
    for ring in np.flatnonzero(kept):  # a ring that the writing touches: one piece with it
        at = piece == ring
        top, left = ys[at].min(), xs[at].min()
        mask = labels[top : ys[at].max() + 1, left : xs[at].max() + 1] == ring + 1
        content = _peeled(mask)
        if content is not None:
            marks[top : top + mask.shape[0], left : left + mask.shape[1]] |= mask & ~content
    if not marks.any():
        return ink
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


def _ring(ys: np.ndarray, xs: np.ndarray, rest_ys: np.ndarray, rest_xs: np.ndarray, tallest: int) -> bool:
    """Whether the piece at (ys, xs) holds all the writing at (rest_ys, rest_xs), whose tallest
    piece is `tallest` high, in its holes."""
    top, left = ys.min(), xs.min()
    height, width = ys.max() + 1 - top, xs.max() + 1 - left
    inside = (rest_ys > top) & (rest_ys < top + height - 1) & (rest_xs > left) & (rest_xs < left + width - 1)
    if not inside.all() or tallest < RING_CONTENT * height:
        return False
    ring, content = np.zeros((2, height, width), bool)
    ring[ys - top, xs - left] = True
    content[rest_ys - top, rest_xs - left] = True
    return _holds(ring, content, 0)


def _peeled(piece: np.ndarray) -> np.ndarray | None:
    """The writing inside a ring that it touches, when the piece (a mask cropped to it) is such a
    ring with writing in it; None when it is not. The ring is the ink seen first from outside (from
    the left, the right, the top and the bottom), as deep as its pen is wide and a half; what lies
    deeper is the writing, when it is tall, lies inside that ring, and the ring is an ellipse."""
    height, width = piece.shape
    views = (lambda a: a, lambda a: a[:, ::-1], lambda a: a.T, lambda a: a.T[:, ::-1])  # from the left, right, top, bottom
    firsts = [_first_ink(view(piece)) for view in views]
    # The cheap checks first: most pieces are digits, whose outline is no ellipse.
    if not _ring_shaped(firsts, height, width) or not _holds(piece, np.zeros_like(piece), RING_HOLE):
        return None
    # The length of each first run (a row without ink reads its last column: paper, 0).
    lengths = [run_lengths(view(piece), np.minimum(first, view(piece).shape[1] - 1))[1] for view, first in zip(views, firsts)]
    middle = np.concatenate([length[len(length) // 4 : 3 * len(length) // 4] for length in lengths])
    reach = int(np.ceil(RING_PEEL * np.median(middle[middle > 0]))) if (middle > 0).any() else 0
    ring = np.zeros_like(piece)
    for view, first in zip(views, firsts):
        depth = np.arange(view(ring).shape[1])[None, :] - first[:, None]
        view(ring)[...] |= (depth >= 0) & (depth < reach)
    ring &= piece
    labels, runs = components(piece & ~ring)
    if runs.count == 0:
        return None
    top, bottom = piece_rows(runs)
    content = np.isin(labels, np.flatnonzero(bottom - top >= RING_CONTENT * height) + 1)
    if not content.any() or not _holds(ring, content, 0):
        return None
    return content


def _holds(ink: np.ndarray, content: np.ndarray, hole: float) -> bool:
    """Whether the paper that `ink` shuts off from the outside spans at least `hole` of its height
    and width, and holds every pixel of `content`. (Paper is joined diagonally too: a ring that
    closes only at a corner holds nothing.)"""
    areas, _ = components(np.pad(~ink, 1, constant_values=True))
    shut = (areas != areas[0, 0])[1:-1, 1:-1] & ~ink
    rows, cols = np.flatnonzero(shut.any(axis=1)), np.flatnonzero(shut.any(axis=0))
    if rows.size == 0 or np.ptp(rows) + 1 < hole * ink.shape[0] or np.ptp(cols) + 1 < hole * ink.shape[1]:
        return False
    return bool(shut[content].all())


def _first_ink(ink: np.ndarray) -> np.ndarray:
    """Per row: the column of its first ink (the width where it has none)."""
    return np.where(ink.any(axis=1), ink.argmax(axis=1), ink.shape[1])


def _ring_shaped(firsts: list[np.ndarray], height: int, width: int) -> bool:
    """Whether the outline seen from the four sides (_first_ink of each) is a ring's: close to an
    ellipse, with nothing sticking out of it (a slashed 0's slash does)."""
    left, right, top, bottom = firsts
    rows, cols = np.arange(height), np.arange(width)
    x = np.concatenate([left[left < width], width - 1 - right[right < width], cols[top < height], cols[bottom < height]]) + 0.5
    y = np.concatenate([rows[left < width], rows[right < width], top[top < height], height - 1 - bottom[bottom < height]]) + 0.5
    x, y = (x - width / 2) / (width / 2), (y - height / 2) / (height / 2)  # a ring as tall as wide
    terms = np.stack([x * x, x * y, y * y, x, y, np.ones_like(x)], axis=1)
    a, b, c, d, e, f = np.linalg.eigh(terms.T @ terms)[1][:, 0]  # the conic through them, least squares
    if b * b - 4 * a * c >= 0:
        return False
    value = a * x * x + b * x * y + c * y * y + d * x + e * y + f
    slope = np.hypot(2 * a * x + b * y + d, b * x + 2 * c * y + e)
    if float(np.percentile(np.abs(value) / np.maximum(slope, 1e-9), 90)) > RING_ROUND:
        return False
    # Something sticking out: the outline, as far out as it reaches in each of 72 directions, is
    # further out somewhere than the median of the 9 directions around it.
    bins = ((np.arctan2(y, x) + np.pi) / (2 * np.pi) * 72).astype(int) % 72
    reach = np.zeros(72)
    np.maximum.at(reach, bins, np.hypot(x, y))
    around = np.median(np.stack([np.roll(reach, k) for k in range(-4, 5)]), axis=0)
    return float((reach - around).max()) <= RING_SPUR
