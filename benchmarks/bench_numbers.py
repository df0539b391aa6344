"""How well the app reads numbers: split into digits (cnn.segment), then each digit read.

    python benchmarks/bench_numbers.py                    # the shipped weights, ~28 min on a slow 2-core machine
    python benchmarks/bench_numbers.py --quick            # a quarter of the drawings
    python benchmarks/bench_numbers.py --dry-run          # a hundredth, to smoke-test a report or sweep in seconds
    python benchmarks/bench_numbers.py --weights runs/x   # another model folder
    python benchmarks/bench_numbers.py --validation-photos  # photos of numbers of validation digits only
    python benchmarks/bench_numbers.py --validation-tilted  # turned numbers of validation digits only

The numbers (`drawings.number_set`) are 2-6 digits, each an MNIST *test* digit retraced with a
pen (as set (a) of bench_drawings.py) or a style template (as set (b)): nothing training uses.
One height +-12%, one baseline +-8%, gaps of 10-60% of the height between the digits' ink,
on square and 2:1 canvases. Each is read as /read_number reads it (`Recognizer.read_numbers`).

Where a number is misread, the blame goes to splitting (the count of digits is wrong) or to
reading (right count, a digit misread or refused); "each digit alone" reads every digit drawn
by itself on the canvas, the ceiling that reading sets. Also measured: single digits (sets
(a)-(c) of bench_drawings.py) must stay one digit and read as before, and set (a)'s drawn 1.3-2
times as wide must not be taken for digits that touch; set (d)'s letters, scribbles and shapes
must not come back as a sure number (cut apart, their strokes can read as 1s); touching digits; the
latency of Recognizer.read_numbers in process and of /read_number through gradio_client; and
photos of numbers (`drawings.number_photos`: the numbers photographed on paper, every other
one on a desk, as bench_drawings' sets (g) and (h)), where the page's edge near the photo's border
could be read as a digit, against the same numbers read on their canvas; and numbers of 2-4
digits whose line rises or falls by up to 30 degrees, turned whole (`drawings.tilted_numbers`,
as photographed with the phone turned) or with their digits upright (number_set's `rising`, as
written uphill on a screen), against the same numbers level. --validation-photos and
--validation-tilted draw the same from validation digits instead (the last 5,000 training
digits): cnn.ink's photo reading and cnn.segment's MIN_TILT are chosen on those. The
--choose-* sweeps print how cnn.serve's thresholds for cutting pieces (and cnn.segment's
CUT_SIDE_SHORT) were chosen, also on validation digits (and bench_validation's non-digits);
--cut-sure, why a number read by cutting touching ink is never shown as sure, nor one read whole
where a cut reads as well, and how honest the label's probability is on such readings. --quick
and --dry-run draw fewer of every set, the sweeps' too.
Every validation drawing's style digits come from bench_validation's templates, not set (b)'s.
Prints Markdown tables; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cnn.segment  # noqa: E402 - choose_cut_side sets its CUT_SIDE_SHORT
import cnn.serve  # noqa: E402 - cut_sure_report sets its RIVAL_EVIDENCE
from cnn.data import default_data_dir, load_mnist, split_validation  # noqa: E402
from cnn.metrics import expected_calibration_error  # noqa: E402
from cnn.segment import TOUCHING_WIDTH, split_digits  # noqa: E402
from cnn.serve import CUT_EVIDENCE, Recognizer, best_cut  # noqa: E402
from bench_validation import VALIDATION_NON_DIGITS, VALIDATION_STYLES  # noqa: E402 - validation drawings' styles, not set (b)'s
from drawings import DESKS, NON_DIGIT_KINDS, Drawing, NumberDrawing, canvas_set, non_digit_set, number_photos, number_set, pen_set, style_set, tilted_numbers  # noqa: E402
from weights_arg import load_weights  # noqa: E402

GAP_BUCKETS = ((0.10, 0.20), (0.20, 0.35), (0.35, 0.60))
SCALE = 1  # every count of drawings is divided by this: 4 with --quick, 100 with --dry-run (sized)
WIDEN = (1.3, 2.0)  # single digits drawn this many times as wide as set (a)'s (wide_report)


def sized(count: int) -> int:
    """`count` drawings, or fewer with --quick or --dry-run (SCALE), at least one."""
    return max(1, count // SCALE)


@contextmanager
def setting(module, **values: float):
    """The module's constants (cnn.serve's thresholds, cnn.segment's) set to `values` within, as the
    code reads them at run time; the shipped ones restored after."""
    shipped = {name: getattr(module, name) for name in values}
    try:
        for name, value in values.items():
            setattr(module, name, value)
        yield
    finally:
        for name, value in shipped.items():
            setattr(module, name, value)


def read_numbers(recognizer: Recognizer, drawings: list[Drawing] | list[NumberDrawing]) -> tuple[list, list[float]]:
    """Each drawing read alone, as one request is, with its time. (Not in one batch: every part of
    every cut of every drawing would be held until its forward pass. Read so, the 1,000 wide digits
    and 2,000 non-digits of wide_report and non_digit_report peaked at 10.3 GB, one at a time 3.2 GB.)"""
    readings, seconds = [], []
    for drawing in drawings:
        started = time.perf_counter()
        (reading,) = recognizer.read_numbers([drawing.image])
        seconds.append(time.perf_counter() - started)
        readings.append(reading)
    return readings, seconds


def verdicts(drawings: list[NumberDrawing], readings: list) -> list[str]:
    """right, or why not: 'count' (splitting) or 'digit' (a digit misread or refused)."""
    out = []
    for drawing, reading in zip(drawings, readings):
        digits = [] if reading is None else reading.digits
        if reading is not None and reading.number == drawing.text:
            out.append("right")
        elif len(digits) != len(drawing.text):
            out.append("count")
        else:
            out.append("digit")
    return out


def every_digit_sure(reading) -> bool:
    """A number whose every digit the model is sure of, cut out of touching ink or not
    (NumberReading.sure also asks that none was)."""
    return reading is not None and reading.number is not None and all(digit.confident for digit in reading.digits)


def share(flags) -> str:
    flags = list(flags)
    return f"{np.mean(flags):.2%}" if flags else "-"


def number_report(drawings: list[NumberDrawing], found: list[str], alone: list[bool]) -> None:
    print("| numbers | drawings | whole number right | digit count right | wrong: split | wrong: a digit | if each digit were read alone |")
    print("|---|---|---|---|---|---|---|")
    groups = [("2-4 digits (the target: >= 97%)", lambda d: 2 <= len(d.text) <= 4)]
    groups += [(f"{n} digits", lambda d, n=n: len(d.text) == n) for n in range(2, 7)]
    groups += [(f"gap {low:.0%}-{high:.0%} of the height", lambda d, b=(low, high): b[0] <= d.gap < b[1] + 1e-9) for low, high in GAP_BUCKETS]
    groups += [(f"{shape} canvas", lambda d, s=shape: d.canvas == s) for shape in ("square", "2:1")]
    groups += [("all", lambda d: True)]
    for name, keep in groups:
        picked = [i for i, d in enumerate(drawings) if keep(d)]
        print(
            f"| {name} | {len(picked)} | {share(found[i] == 'right' for i in picked)} | {share(found[i] != 'count' for i in picked)} "
            f"| {share(found[i] == 'count' for i in picked)} | {share(found[i] == 'digit' for i in picked)} | {share(alone[i] for i in picked)} |"
        )


def digits_alone(recognizer: Recognizer, drawings: list[NumberDrawing]) -> list[bool]:
    """Whether every digit of each number reads right drawn by itself (its ink alone, at the
    same scale, with a margin of paper)."""
    out = []
    for drawing in drawings:
        canvases = [Image.fromarray(255 - np.pad(ink, 20)) for ink in drawing.digits]
        readings = recognizer.read(canvases)
        out.append("".join(r.digit if r is not None and r.is_digit else "?" for r in readings) == drawing.text)
    return out


def single_digit_report(recognizer: Recognizer, images: np.ndarray, labels: np.ndarray, count: int) -> None:
    print("| single digits | drawings | read as one digit | same answer as read() (top 3, probabilities within 1e-5) |")
    print("|---|---|---|---|")
    sets = [("(a) pen-retraced MNIST test", pen_set(images, labels, count)), ("(b) styles", style_set(count // 8)),
            ("(c) canvas redraw", canvas_set(images, labels, count // 2))]
    for name, drawings in sets:
        ones, same = [], []
        for drawing in drawings:
            (number,) = recognizer.read_numbers([drawing.image])
            (alone,) = recognizer.read([drawing.image])
            one = number is not None and len(number.digits) == 1
            ones.append(one)
            # Equal to the last bits only within one batch: the cut sides read along change the sums.
            same.append(one and list(number.digits[0].top) == list(alone.top)
                        and np.allclose(list(number.digits[0].top.values()), list(alone.top.values()), rtol=0, atol=1e-5))
        print(f"| {name} | {len(drawings)} | {share(ones)} | {share(same)} |")


def wide_report(recognizer: Recognizer, images: np.ndarray, labels: np.ndarray, count: int) -> None:
    """Set (a)'s digits drawn WIDEN times as wide: a digit drawn to fill a square canvas, which
    cnn.segment can take for digits that touch."""
    drawings = pen_set(images, labels, count, seed=21, widen=WIDEN)
    truths = [str(d.label) for d in drawings]
    numbers, _ = read_numbers(recognizer, drawings)
    alone = recognizer.read([d.image for d in drawings])
    print("| single digits drawn 1.3-2x as wide | drawings | read right (/read_number) | said to be digits that touch "
          "| read as several digits | read right by /predict |")
    print("|---|---|---|---|---|---|")
    print(f"| (a) pen-retraced MNIST test | {count} | {share(n is not None and n.number == t for n, t in zip(numbers, truths))} "
          f"| {share(n is not None and not all(n.separated) for n in numbers)} "
          f"| {share(n is not None and len(n.digits) > 1 for n in numbers)} "
          f"| {share(r is not None and r.is_digit and r.digit == t for r, t in zip(alone, truths))} |")


def touching_report(recognizer: Recognizer, images: np.ndarray, labels: np.ndarray, count: int) -> list[tuple]:
    """Pairs of digits whose ink overlaps, by how much; returns every pair's (reading, truth)."""
    read = []
    print("| two digits whose ink overlaps by | pairs | read right | said they could not be separated "
          "| read as one digit, shown as sure | read as one digit, shown as not sure | other |")
    print("|---|---|---|---|---|---|---|")
    for low, high in ((-0.05, 0.0), (-0.10, -0.05), (-0.15, -0.10)):
        drawings = number_set(images, labels, count, lengths=(2,), gap_range=(low, high), seed=11)
        readings, _ = read_numbers(recognizer, drawings)
        right = [r is not None and r.number == d.text for d, r in zip(drawings, readings)]
        unseparated = [r is not None and not all(r.separated) for r in readings]
        one = [r is not None and len(r.digits) == 1 and all(r.separated) for r in readings]
        sure = [o and r.sure for o, r in zip(one, readings)]  # as the page shows it
        other = [not (a or b or c) for a, b, c in zip(right, unseparated, one)]
        print(f"| {abs(high):.0%}-{abs(low):.0%} of the height | {count} | {share(right)} | {share(unseparated)} "
              f"| {share(sure)} | {share(o and not s for o, s in zip(one, sure))} | {share(other)} |")
        read += [(r, d.text) for d, r in zip(drawings, readings)]
    return read


def non_digit_report(recognizer: Recognizer, count: int) -> None:
    """bench_drawings' set (d), non-digits, read as /read_number reads them: what the page says to
    a letter or a shape. Cut into pieces that each read as a sure digit (an m as 177), it comes back
    as a number where /predict, reading it whole, refuses it or is not sure; the page shows such a
    number, but not as sure (cnn.serve.Choice.cut), nor a piece read whole where a cut reads as
    well (cnn.serve.RIVAL_EVIDENCE)."""
    drawings = non_digit_set(count)
    numbers, _ = read_numbers(recognizer, drawings)
    alone = recognizer.read([d.image for d in drawings])
    kinds = np.array([d.kind.split()[0] for d in drawings])
    print("| non-digits (d) | drawings | /read_number: a number | a number, every digit sure | of several digits "
          "| shown as a sure number (none cut out of touching ink, none maybe touching) | /predict: a digit shown as sure |")
    print("|---|---|---|---|---|---|---|")
    for kind in (*NON_DIGIT_KINDS, "all"):
        picked = [i for i in range(len(drawings)) if kind in ("all", kinds[i])]
        given = [numbers[i] is not None and numbers[i].number is not None for i in picked]
        sure = [every_digit_sure(numbers[i]) for i in picked]
        several = [g and len(numbers[i].digits) > 1 for g, i in zip(given, picked)]
        shown_number = [numbers[i] is not None and numbers[i].sure for i in picked]
        shown = [alone[i] is not None and alone[i].is_digit and alone[i].confident for i in picked]
        print(f"| {kind} | {len(picked)} | {share(given)} | {share(sure)} | {share(several)} | {share(shown_number)} | {share(shown)} |")


def read_pieces(recognizer: Recognizer, images_and_truths):
    """(the truth, the piece, its Reading whole, its best cut into sure digits and that cut's
    score: cnn.serve.best_cut's) for every piece of every drawing, as drawn."""
    for image, truth in images_and_truths:
        pieces = split_digits(image)
        read = recognizer.read_parts(pieces)
        for piece in pieces:
            yield truth, piece, read[id(piece)], *best_cut(piece, read)


def cut_rows(recognizer: Recognizer, images_and_truths) -> list[tuple[str, float, float, str, float]]:
    """Per piece that may be digits that touch and has a cut into sure digits: (the truth, the
    doubt of the whole, the doubt of its best cut, the cut's digits, the piece's width)."""
    return [(truth, 1 - whole.top[whole.digit], 1 - score, "".join(r.digit for r, *_ in best), piece.width)
            for truth, piece, whole, best, score in read_pieces(recognizer, images_and_truths) if best and whole is not None]


def validation_digits() -> tuple[np.ndarray, np.ndarray]:
    """MNIST's validation digits (the last 5,000 training digits, which training holds out)."""
    _, _, images, labels = split_validation(*load_mnist(default_data_dir(), train=True, download=False))
    return images.squeeze(1).numpy(), labels.numpy()


def validation_singles(images: np.ndarray, labels: np.ndarray) -> list[Drawing]:
    """1,220 single validation digits: pen-retraced, canvas-redrawn and in bench_validation's styles."""
    return (pen_set(images, labels, sized(600), seed=101) + canvas_set(images, labels, sized(300), seed=103)
            + style_set(sized(40), seed=102, styles=VALIDATION_STYLES))  # not set (b)'s templates: the benchmark's


def validation_non_digits() -> list[Image.Image]:
    """600 letters and shapes drawn from bench_validation's VALIDATION_NON_DIGITS (not set (d)'s templates)."""
    return [d.image for d in style_set(sized(30), seed=601, styles=VALIDATION_NON_DIGITS)]


def touching_pairs(images: np.ndarray, labels: np.ndarray, seed: int) -> list[NumberDrawing]:
    """900 pairs of validation digits whose ink overlaps by 0-5%, 5-10% and 10-15% of the height."""
    return [d for low, high in ((-0.05, 0.0), (-0.10, -0.05), (-0.15, -0.10))
            for d in number_set(images, labels, sized(300), lengths=(2,), gap_range=(low, high), seed=seed, styles=VALIDATION_STYLES)]


def all_touching(images: np.ndarray, labels: np.ndarray, seed: int) -> list[NumberDrawing]:
    """300 numbers of 2-4 validation digits that all touch (overlapping by up to 15% of the height, or up to 5% apart)."""
    return number_set(images, labels, sized(300), lengths=(2, 3, 4), gap_range=(-0.15, 0.05), seed=seed, styles=VALIDATION_STYLES)


def choose_cut_evidence(recognizer: Recognizer) -> None:
    """How cnn.serve.CUT_EVIDENCE was chosen: on drawings of MNIST's validation digits, made by
    this benchmark's generators with other seeds. Single digits must stay whole; touching pairs
    should be cut right."""
    images, labels = validation_digits()
    singles = validation_singles(images, labels)
    pairs = number_set(images, labels, sized(300), lengths=(2,), gap_range=(-0.1, 0.0), seed=111, styles=VALIDATION_STYLES)
    single_rows = cut_rows(recognizer, ((d.image, str(d.label)) for d in singles))
    pair_rows = cut_rows(recognizer, ((d.image, d.text) for d in pairs))
    print(f"| CUT_EVIDENCE | single digits cut (of {len(singles)}) | touching pairs cut right (of {len(pairs)}) | cut wrong |")
    print("|---|---|---|---|")
    for evidence in (1, 5, 20, 100, 1000):
        taken = lambda row: row[1] > evidence * row[2]  # noqa: E731
        print(f"| {evidence} | {sum(map(taken, single_rows))} | {sum(taken(r) and r[3] == r[0] for r in pair_rows)} "
              f"| {sum(taken(r) and r[3] != r[0] for r in pair_rows)} |")


def wide_validation_digits(images: np.ndarray, labels: np.ndarray) -> list[tuple[Image.Image, str]]:
    """Single validation digits (`images`, `labels`) drawn WIDEN times as wide, pen-retraced or
    in bench_validation's styles: (image, digit)."""
    singles = pen_set(images, labels, sized(1200), seed=501, widen=WIDEN) + style_set(sized(40), seed=502, styles=VALIDATION_STYLES, widen=WIDEN)
    return [(d.image, str(d.label)) for d in singles]


def choose_wide_evidence(recognizer: Recognizer) -> None:
    """How cnn.serve.WIDE_PIECE and WIDE_CUT_EVIDENCE were chosen (CUT_EVIDENCE kept for narrower
    pieces): more single validation digits than choose_cut_evidence's, and pairs whose ink
    overlaps by 0-15% of the height, two draws. The choice was made on the first draw; the second
    checks it. Single digits drawn wide (wide_validation_digits) were added after the choice."""
    images, labels = validation_digits()
    singles = [(d.image, str(d.label)) for d in pen_set(images, labels, sized(3000), seed=201)]
    singles += [(d.image, str(d.label)) for d in style_set(sized(250), seed=202, styles=VALIDATION_STYLES)]
    singles += [(d.image, str(d.label)) for d in canvas_set(images, labels, sized(1500), seed=203)]
    single_rows = cut_rows(recognizer, singles)
    wide_singles = wide_validation_digits(images, labels)
    wide_rows = cut_rows(recognizer, wide_singles)
    draws = []
    for seed in (111, 112):
        draws.append(cut_rows(recognizer, ((d.image, d.text) for d in touching_pairs(images, labels, seed))))
    print(f"| WIDE_PIECE | WIDE_CUT_EVIDENCE | single digits cut (of {len(singles)}) | pairs cut right, first draw (of 900) "
          f"| cut wrong | pairs cut right, second draw (of 900) | cut wrong | single digits drawn wide, cut (of {len(wide_singles)}) |")
    print("|---|---|---|---|---|---|---|---|")
    for wide, evidence in [(None, None)] + [(w, e) for w in (1.1, 1.2, 1.3) for e in (0.3, 1, 5)]:
        def taken(row, wide=wide, evidence=evidence):
            if row[4] > TOUCHING_WIDTH:  # too wide to be one digit: a cut into sure digits is always kept
                return True
            return row[1] > (evidence if wide is not None and row[4] >= wide else CUT_EVIDENCE) * row[2]
        cells = [sum(map(taken, single_rows))]
        for rows in draws:
            cells += [sum(taken(r) and r[3] == r[0] for r in rows), sum(taken(r) and r[3] != r[0] for r in rows)]
        cells.append(sum(map(taken, wide_rows)))
        print(f"| {wide or 'none'} | {evidence or '-'} | " + " | ".join(map(str, cells)) + " |")


def choose_wide_whole(recognizer: Recognizer) -> None:
    """How cnn.serve.WIDE_WHOLE_SURE was chosen: of the pieces too wide to be one digit that no
    cut parts into sure digits, how many are read as one digit at least that sure, among single
    validation digits drawn WIDEN times as wide (right when it is their digit) and among numbers of
    2-4 validation digits that all touch (always wrong), two draws. Validation styles only."""
    def uncut_wholes(images_and_truths) -> list[tuple[str, str, float]]:
        return [(truth, whole.digit, whole.top[whole.digit]) for truth, piece, whole, best, _ in read_pieces(recognizer, images_and_truths)
                if piece.too_wide and best is None and whole is not None and whole.is_digit]

    images, labels = validation_digits()
    singles = wide_validation_digits(images, labels)
    single_rows = uncut_wholes(singles)
    draws = [uncut_wholes((d.image, d.text) for d in all_touching(images, labels, seed)) for seed in (141, 142)]
    print(f"{len(single_rows)} of {len(singles)} wide single digits, and {len(draws[0])} and {len(draws[1])} pieces of 300 "
          "numbers that touch (two draws), are too wide for one digit, and no cut parts them into sure digits.\n")
    print("| WIDE_WHOLE_SURE | wide single digits read as one, right | wrong | touching digits read as one, first draw | second draw |")
    print("|---|---|---|---|---|")
    for sure in (0.95, 0.98, 0.99, 0.995, 0.999, 1.01):
        taken = [row for row in single_rows if row[2] >= sure]
        print(f"| {sure if sure <= 1 else 'never'} | {sum(t == d for t, d, _ in taken)} | {sum(t != d for t, d, _ in taken)} | "
              + " | ".join(str(sum(p >= sure for _, _, p in rows)) for rows in draws) + " |")


def choose_cut_side(recognizer: Recognizer) -> None:
    """How cnn.segment.CUT_SIDE_SHORT was chosen: validation drawings read as /read_number reads
    them with each setting (set for the whole run, as bench_validation's --pen-min is). Letters and
    shapes (bench_validation's VALIDATION_NON_DIGITS) should not come back as a sure number; pairs
    of digits that touch, numbers whose digits all touch, single digits and single digits drawn
    wide should read right."""
    images, labels = validation_digits()
    non_digits = validation_non_digits()
    digit_sets = {
        "touching pairs read right": [(d.image, d.text) for d in touching_pairs(images, labels, 111)],
        "numbers whose digits all touch, right": [(d.image, d.text) for d in all_touching(images, labels, 141)],
        "single digits read right": [(d.image, str(d.label)) for d in validation_singles(images, labels)],
        "single digits drawn wide, right": wide_validation_digits(images, labels),
    }
    print(f"| CUT_SIDE_SHORT | non-digits shown as a sure number (of {len(non_digits)}) | "
          + " | ".join(f"{name} (of {len(items)})" for name, items in digit_sets.items()) + " |")
    print("|---|---|" + "---|" * len(digit_sets))
    for value in (0.0, 0.5, 0.6, 0.7):
        with setting(cnn.segment, CUT_SIDE_SHORT=value):
            readings = [recognizer.read_numbers([image])[0] for image in non_digits]
            cells = [sum(map(every_digit_sure, readings))]
            for items in digit_sets.values():
                readings = [recognizer.read_numbers([image])[0] for image, _ in items]
                cells.append(sum(r is not None and r.number == truth for r, (_, truth) in zip(readings, items)))
        print(f"| {value} | " + " | ".join(map(str, cells)) + " |", flush=True)


def cut_sure_report(recognizer: Recognizer) -> None:
    """Why cnn.serve never shows a reading with a digit cut out of touching ink as sure
    (Choice.cut), nor one with a digit read whole where a cut reads about as well (RIVAL_EVIDENCE):
    on validation drawings, how often the readings whose every digit is sure are right, with such
    a cut and without one, and with such a whole at each evidence. Numbers with gaps, single digits
    and digits drawn wide are what a cut must not break; touching pairs and numbers whose digits
    all touch are what it is for; letters and shapes should be no number at all. And how honest
    the label's top number's probability is on the same readings."""
    images, labels = validation_digits()
    sets = {
        "numbers of 2-6 digits with gaps": [(d.image, d.text) for d in number_set(images, labels, sized(600), seed=117, styles=VALIDATION_STYLES)],
        "single digits": [(d.image, str(d.label)) for d in validation_singles(images, labels)],
        "single digits drawn wide": wide_validation_digits(images, labels),
        "touching pairs": [(d.image, d.text) for d in touching_pairs(images, labels, 111)],
        "numbers whose digits all touch": [(d.image, d.text) for d in all_touching(images, labels, 141)],
        "letters and shapes": [(image, None) for image in validation_non_digits()],
    }
    read = {name: [(recognizer.read_numbers([image])[0], truth) for image, truth in items] for name, items in sets.items()}
    print("| validation drawings | drawings | every digit sure, a digit cut: right | wrong | every digit sure, none cut: right | wrong |")
    print("|---|---|---|---|---|---|")
    for name, readings in read.items():
        counts = {(cut, right): 0 for cut in (True, False) for right in (True, False)}
        for reading, truth in readings:
            if every_digit_sure(reading):
                counts[any(reading.cut), reading.number == truth] += 1
        print(f"| {name} | {len(readings)} | " + " | ".join(str(counts[key]) for key in ((True, True), (True, False), (False, True), (False, False))) + " |")
    # cnn.serve.RIVAL_EVIDENCE: of those read with every digit sure and none cut, the ones where a
    # digit was kept whole over a cut into sure digits with at least this much evidence
    # (NumberReading.maybe_touching applies it when asked: the drawings are not read again).
    thresholds = (0.3, 1.0, 3.0)
    print("\n| validation drawings, every digit sure, none cut | "
          + " | ".join(f"a whole kept over a cut with evidence >= {t:g}: right | wrong" for t in thresholds) + " |")
    print("|---|" + "---|---|" * len(thresholds))
    for name, readings in read.items():
        cells = []
        for threshold in thresholds:
            with setting(cnn.serve, RIVAL_EVIDENCE=threshold):
                rivalled = [reading.number == truth for reading, truth in readings
                            if every_digit_sure(reading) and not any(reading.cut) and any(reading.maybe_touching)]
            cells += [sum(rivalled), len(rivalled) - sum(rivalled)]
        print(f"| {name} | " + " | ".join(map(str, cells)) + " |")
    # How honest the page's label for a number (NumberReading.likeliest: its digits' probabilities
    # multiplied) is on these readings.
    print("\nThe label's top number (NumberReading.likeliest), by how the reading was split:\n")
    label_table(label_rows(read))


SPLITS = ("a digit cut", "a digit maybe touching", "neither")


def split_kind(reading) -> str:
    """How the reading's digits were split: with a cut (NumberReading.cut), with a digit kept
    whole that may be digits that touch (maybe_touching), or neither."""
    return SPLITS[0] if any(reading.cut) else SPLITS[1] if any(reading.maybe_touching) else SPLITS[2]


def label_rows(read: dict[str, list]) -> list[tuple[str, str, float, bool]]:
    """(the set, split_kind, the label's top probability, whether its number is the truth) for
    every reading with a number, by the set's name in `read` (readings and truths)."""
    rows = []
    for name, readings in read.items():
        for reading, truth in readings:
            if reading is not None and reading.number is not None:
                number, probability = next(iter(reading.likeliest().items()))
                rows.append((name, split_kind(reading), probability, number == truth))
    return rows


def label_table(rows: list[tuple[str, str, float, bool]]) -> None:
    """Per set (and all sets) and split kind of label_rows: the readings, how often the label's top
    number is right, its mean probability and ECE (15 bins)."""
    print("| drawings | split | readings with a number | top number right | mean probability | ECE |")
    print("|---|---|---|---|---|---|")
    for name in (*dict.fromkeys(row[0] for row in rows), "all"):
        for kind in (*SPLITS, "all"):
            picked = [row for row in rows if name in (row[0], "all") and kind in (row[1], "all")]
            if picked:
                probabilities = torch.tensor([row[2] for row in picked])
                right = torch.tensor([row[3] for row in picked], dtype=torch.float32)
                print(f"| {name} | {kind} | {len(picked)} | {right.mean():.1%} | {probabilities.mean():.3f} "
                      f"| {expected_calibration_error(probabilities, right):.1%} |")


def photo_report(recognizer: Recognizer, images: np.ndarray, labels: np.ndarray, count: int, seed: int, styles: dict | None = None) -> None:
    """Photos of numbers (drawings.number_photos) by what lies around the page, and the same
    numbers read on the canvas they were photographed from. (`styles`: number_set's.)"""
    canvases = number_set(images, labels, count, seed=seed, square=True, styles=styles)
    photos = number_photos(canvases, seed=seed)
    found = verdicts(photos, read_numbers(recognizer, photos)[0])
    on_canvas = verdicts(canvases, read_numbers(recognizer, canvases)[0])
    print("| photos of numbers | photos | whole number right | digit count right | the same numbers on their canvas: right |")
    print("|---|---|---|---|---|")
    for name in ("paper", *DESKS, "all"):
        picked = [i for i, d in enumerate(photos) if name in (d.canvas, "all")]
        print(f"| {'on a desk: ' + name if name in DESKS else name} | {len(picked)} | {share(found[i] == 'right' for i in picked)} "
              f"| {share(found[i] != 'count' for i in picked)} | {share(on_canvas[i] == 'right' for i in picked)} |")


TILT_BUCKETS = ((0, 10), (10, 20), (20, 30))


def tilt_report(recognizer: Recognizer, images: np.ndarray, labels: np.ndarray, count: int, seed: int, styles: dict | None = None) -> None:
    """Numbers of 2-4 digits whose line rises or falls by up to 30 degrees, by how far: turned
    whole (drawings.tilted_numbers, as a photo taken with the phone turned), or written uphill
    with their digits upright (number_set's `rising`, as on a screen); the same numbers level.
    (`styles`: number_set's.)"""
    level = number_set(images, labels, count, lengths=(2, 3, 4), seed=seed, styles=styles)
    kinds = [tilted_numbers(level, seed), number_set(images, labels, count, lengths=(2, 3, 4), seed=seed, rising=True, styles=styles)]
    found = [verdicts(drawings, read_numbers(recognizer, drawings)[0]) for drawings in (*kinds, level)]
    print("| line tilted | numbers | turned whole: right | count right | digits upright: right | count right | the same numbers level: right |")
    print("|---|---|---|---|---|---|---|")
    buckets = [(f"{low}-{high} degrees either way", lambda t, b=(low, high): b[0] <= abs(t) < b[1]) for low, high in TILT_BUCKETS]
    for name, keep in [*buckets, ("all", lambda t: True)]:
        picked = [i for i, d in enumerate(kinds[0]) if keep(d.tilt)]
        cells = [f"{share(f[i] == 'right' for i in picked)} | {share(f[i] != 'count' for i in picked)}" for f in found[:2]]
        print(f"| {name} | {len(picked)} | {' | '.join(cells)} | {share(found[2][i] == 'right' for i in picked)} |")


def api_latency(drawings: list[NumberDrawing], count: int) -> None:
    """Serial round trips through gradio_client on loopback: /read_number against /predict."""
    import tempfile

    from bench_serving import start
    from gradio_client import Client, handle_file

    process, url = start(Path(__file__).resolve().parent.parent / "app.py")
    try:
        client = Client(url, verbose=False)
        folder = Path(tempfile.mkdtemp(prefix="bench-numbers-"))
        files = []
        for n, drawing in enumerate(drawings[:count]):
            files.append(folder / f"{n}.png")
            drawing.image.save(files[-1])
        for api in ("/predict", "/read_number"):
            for path in files[:5]:  # warm-up
                client.predict(handle_file(str(path)), api_name=api)
            times = []
            for path in files:
                started = time.perf_counter()
                client.predict(handle_file(str(path)), api_name=api)
                times.append(time.perf_counter() - started)
            print(f"| {api} | {len(files)} | {np.percentile(times, 50) * 1000:.0f} ms | {np.percentile(times, 90) * 1000:.0f} ms |")
    finally:
        process.kill()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default="shipped", help='a model folder (config.json + model.safetensors); "shipped", the default: the shipped weights')
    parser.add_argument("--quick", action="store_true", help="a quarter of the drawings")
    parser.add_argument("--dry-run", action="store_true", help="a hundredth of the drawings: every table in seconds, its numbers meaningless")
    parser.add_argument("--no-api", action="store_true", help="skip the round trips through gradio_client")
    parser.add_argument("--choose-cut-evidence", action="store_true", help="only the validation sweep behind cnn.serve.CUT_EVIDENCE")
    parser.add_argument("--choose-wide-evidence", action="store_true",
                        help="only the validation sweep behind cnn.serve.WIDE_PIECE and WIDE_CUT_EVIDENCE")
    parser.add_argument("--choose-wide-whole", action="store_true", help="only the validation sweep behind cnn.serve.WIDE_WHOLE_SURE")
    parser.add_argument("--choose-cut-side", action="store_true", help="only the validation sweep behind cnn.segment.CUT_SIDE_SHORT")
    parser.add_argument("--cut-sure", action="store_true",
                        help="only the validation counts behind never showing a digit cut out of touching ink as sure "
                             "(cnn.serve.Choice.cut), nor one read whole where a cut reads as well (cnn.serve.RIVAL_EVIDENCE)")
    parser.add_argument("--validation-photos", action="store_true",
                        help="only photos of numbers of validation digits (the last 5,000 training digits), where photo preprocessing is chosen")
    parser.add_argument("--validation-tilted", action="store_true",
                        help="only turned numbers of validation digits, where cnn.segment's levelling (MIN_TILT) is chosen")
    args = parser.parse_args(argv)
    global SCALE
    SCALE = 100 if args.dry_run else 4 if args.quick else 1
    model = load_weights(args.weights)
    recognizer = Recognizer(model)
    if args.choose_cut_evidence:
        choose_cut_evidence(recognizer)
        return
    if args.choose_wide_evidence:
        choose_wide_evidence(recognizer)
        return
    if args.choose_wide_whole:
        choose_wide_whole(recognizer)
        return
    if args.choose_cut_side:
        choose_cut_side(recognizer)
        return
    if args.cut_sure:
        cut_sure_report(recognizer)
        return
    if args.validation_photos or args.validation_tilted:
        images, labels = validation_digits()
        if args.validation_photos:
            photo_report(recognizer, images, labels, sized(400), seed=13, styles=VALIDATION_STYLES)
        if args.validation_tilted:
            tilt_report(recognizer, images, labels, sized(600), seed=15, styles=VALIDATION_STYLES)
        return
    images, labels = load_mnist(default_data_dir(), train=False, download=False)
    images, labels = images.squeeze(1).numpy(), labels.numpy()

    drawings = number_set(images, labels, sized(1000))
    readings, seconds = read_numbers(recognizer, drawings)
    found = verdicts(drawings, readings)
    alone = digits_alone(recognizer, drawings)
    print(f"## Numbers ({len(drawings)} drawings, weights: {args.weights})\n")
    number_report(drawings, found, alone)
    lengths = np.array([len(d.text) for d in drawings])
    print(f"\nRecognizer.read_numbers, one drawing at a time: p50 {np.percentile(seconds, 50) * 1000:.1f} ms, "
          f"p90 {np.percentile(seconds, 90) * 1000:.1f} ms (2-4 digits: p50 "
          f"{np.percentile(np.array(seconds)[(lengths >= 2) & (lengths <= 4)], 50) * 1000:.1f} ms)\n")
    print("### Single digits\n")
    single_digit_report(recognizer, images, labels, sized(2000))
    print()
    wide_report(recognizer, images, labels, sized(1000))
    print()
    non_digit_report(recognizer, sized(2000))
    print("\n### Touching digits (not in the target: the drawings above keep 10% apart at least)\n")
    touching = touching_report(recognizer, images, labels, sized(400))
    print("\n### How honest the number's probability is (the label's top number)\n")
    label_table(label_rows({"numbers of 2-6 digits with gaps": [(r, d.text) for d, r in zip(drawings, readings)], "touching pairs": touching}))
    print("\n### Photos of numbers (on paper, or on a desk)\n")
    photo_report(recognizer, images, labels, sized(400), seed=12)
    print("\n### Numbers written uphill or downhill, or photographed turned\n")
    tilt_report(recognizer, images, labels, sized(600), seed=14)
    if not args.no_api:
        print("\n### Through the API (gradio_client, serial, loopback)\n")
        print("| endpoint | requests | p50 | p90 |")
        print("|---|---|---|---|")
        api_latency(drawings, sized(100))
    worst = [(d.text, r.number if r else None) for d, r, f in zip(drawings, readings, found) if f != "right"][:12]
    print("\nFirst misreads (drawn -> read):", ", ".join(f"{a} -> {b}" for a, b in worst))


if __name__ == "__main__":
    main()
