"""Pen strokes of hand-drawn digits, in a unit box (x right, y down), for examples and browser tests.

Each digit is a list of strokes; each stroke a polyline through these points, drawn smoothly.
"""

from __future__ import annotations

import math

DIGIT_STROKES: dict[int, list[list[tuple[float, float]]]] = {
    0: [[(0.5 + 0.38 * math.sin(t / 12 * 2 * math.pi), 0.5 - 0.47 * math.cos(t / 12 * 2 * math.pi)) for t in range(13)]],
    1: [[(0.42, 0.12), (0.55, 0.03), (0.55, 0.97)]],
    2: [[(0.15, 0.25), (0.35, 0.05), (0.65, 0.05), (0.82, 0.25), (0.72, 0.48), (0.45, 0.7), (0.12, 0.95), (0.88, 0.95)]],
    3: [[(0.15, 0.12), (0.5, 0.03), (0.82, 0.18), (0.75, 0.38), (0.45, 0.48), (0.82, 0.6), (0.85, 0.82), (0.55, 0.97), (0.15, 0.88)]],
    4: [[(0.6, 0.03), (0.1, 0.65), (0.92, 0.65)], [(0.68, 0.3), (0.68, 0.97)]],
    5: [[(0.82, 0.04), (0.28, 0.04), (0.22, 0.45), (0.55, 0.38), (0.82, 0.55), (0.8, 0.82), (0.5, 0.97), (0.15, 0.88)]],
    6: [[(0.72, 0.04), (0.38, 0.3), (0.2, 0.65), (0.32, 0.93), (0.62, 0.96), (0.8, 0.75), (0.65, 0.55), (0.36, 0.55), (0.22, 0.7)]],
    7: [[(0.1, 0.06), (0.9, 0.06), (0.42, 0.97)]],
    8: [[(0.5, 0.5), (0.22, 0.3), (0.32, 0.06), (0.68, 0.06), (0.78, 0.3), (0.5, 0.5), (0.18, 0.73), (0.32, 0.96), (0.68, 0.96), (0.82, 0.73), (0.5, 0.5)]],
    9: [[(0.8, 0.3), (0.62, 0.06), (0.32, 0.08), (0.2, 0.3), (0.35, 0.5), (0.65, 0.47), (0.8, 0.3), (0.76, 0.62), (0.66, 0.97)]],
}


def smooth(points: list[tuple[float, float]], per_segment: int = 8) -> list[tuple[float, float]]:
    """Catmull-Rom curve through the points, as a hand would draw them."""
    if len(points) < 3:
        return list(points)
    padded = [points[0], *points, points[-1]]
    curve = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1], padded[i], padded[i + 1], padded[i + 2]
        for step in range(per_segment):
            t = step / per_segment
            curve.append(
                tuple(
                    0.5 * (2 * b + (-a + c) * t + (2 * a - 5 * b + 4 * c - d) * t * t + (-a + 3 * b - 3 * c + d) * t**3)
                    for a, b, c, d in zip(p0, p1, p2, p3)
                )
            )
    curve.append(points[-1])
    return curve
