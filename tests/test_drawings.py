"""Realistic drawings (issue 9): any pen, common styles, no false refusals, calibrated probabilities.

The drawings come from the benchmark's own generators (benchmarks/drawings.py): MNIST *test*
digits retraced with a uniform pen, and style templates no training step uses.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

import cnn
from benchmarks.drawings import STYLES, _jitter, _skeleton_segments, pen_set, photo_set, render, stem_lean, style_set
from cnn.metrics import calibrated_top1, expected_calibration_error, fit_temperature
from cnn.serve import Recognizer
from test_preprocess import SEVEN, ZERO, distance, draw


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    return Recognizer(cnn.load_model())


@pytest.mark.parametrize("pen", [2, 3, 6, 12, 24, 48, 60])
def test_any_pen_from_2px_to_a_fifth_of_the_height_gives_nearly_the_same_digit(pen):
    geometry = dict(canvas=(400, 400), box=(50, 50, 250, 300))
    reference = cnn.to_mnist(draw(SEVEN, pen=36, **geometry))  # 12% of the height: MNIST's own pen
    seven = cnn.to_mnist(draw(SEVEN, pen=pen, **geometry))
    zero = cnn.to_mnist(draw(ZERO, pen=pen, **geometry))
    assert distance(seven, reference) < 0.07
    assert distance(seven, reference) < distance(zero, reference) / 2.5


def test_shipped_weights_read_pen_retraced_test_digits_and_styles(mnist_test, recognizer):
    images, labels = mnist_test
    drawings = pen_set(images, labels, 200, seed=11) + style_set(25, seed=12)
    readings = recognizer.read([d.image for d in drawings])
    right = [r is not None and r.is_digit and r.digit == str(d.label) for d, r in zip(drawings, readings)]
    # A floor against regressions. Issue 9 asks for 98.5%: the shipped weights read 98.5% of the
    # full benchmark sets (a) and (b) together and 97.75% of this sample, the European 1 with a
    # flag being the gap (BENCHMARKS.md); the floor leaves 3 drawings of margin for other CPUs.
    # Raise it when that gap closes.
    assert np.mean(right) >= 0.97, np.mean(right)


# Photos of a page: plain, ruled and squared paper, unevenly lit, noisy, half of them JPEG (the
# benchmark's set (g)); the same with the desk showing around the page (set (h)); and on notebook
# or legal-pad paper with its margin line (set (i)). Before the paper's lighting was fitted, 66% of
# the validation photos read right (69% of set (g)); before the desk was made paper, 25% of the
# validation desk photos; before the page's lines were erased, 86% of the validation margin photos;
# before what the page's edge leaves near the border was dropped, 90% of the validation desk photos
# and 83.3% of this test's (95.8% now) (BENCHMARKS.md).
@pytest.mark.parametrize(("page", "seed", "least"), [("paper", 14, 0.95), ("desk", 15, 0.9), ("margin", 16, 0.95)],
                         ids=["on paper", "on a desk", "with a margin line"])
def test_phone_photos_of_a_page_are_read(mnist_test, recognizer, page, seed, least):
    images, labels = mnist_test
    drawings = photo_set(images, labels, 120, seed=seed, desk=page == "desk", margin=page == "margin")
    readings = recognizer.read([d.image for d in drawings])
    right = [r is not None and r.is_digit and r.digit == str(d.label) for d, r in zip(drawings, readings)]
    assert np.mean(right) >= least, np.mean(right)


def test_no_refusal_for_thin_or_thick_pens_but_noise_and_filled_shapes_are_stopped(mnist_test, recognizer):
    images, labels = mnist_test
    rng = np.random.default_rng(13)
    drawings = []
    for index in rng.choice(len(images), 120, replace=False):
        side, height = 600, float(rng.uniform(120, 480))
        pen = 2.0 if index % 2 else 0.18 * height  # the thinnest and the thickest pens of the benchmark
        drawings.append(render(_skeleton_segments(images[index]), rng, side, height, pen))
    readings = recognizer.read(drawings)
    assert all(r is not None and r.is_digit for r in readings)

    noise = [Image.fromarray(rng.integers(0, 256, (s, s), dtype=np.uint8)) for s in rng.integers(40, 700, 20)]
    filled = []
    for n in range(10):
        image = Image.new("RGB", (400, 400), "white")
        shape = ImageDraw.Draw(image).ellipse if n % 2 else ImageDraw.Draw(image).rectangle
        shape([60 + 5 * n, 80, 300, 330 - 10 * n], fill="black")
        filled.append(image)
    assert not any(r is not None and r.is_digit for r in recognizer.read(noise + filled))


def test_a_european_1_and_a_crossed_7_are_read_right(recognizer):
    rng = np.random.default_rng(15)
    names = ["european 1 (flag)", "european 1 (flag, foot)", "7 with crossbar", "slashed 0"]
    drawn = [render([np.asarray(s) for s in STYLES[name][1]], rng, 500, 300, 24, transparent=False) for name in names]
    assert [r.digit for r in recognizer.read(drawn)] == [str(STYLES[name][0]) for name in names]


# At least this many of 20 jittered drawings of each style read right. The European 1 with a
# flag alone reads 87.8% on the benchmark (issue 9's target: 97%), so its floor is lower.
STYLE_FLOORS = {"european 1 (flag)": 16, "european 1 (flag, foot)": 19, "7 with crossbar": 19, "slashed 0": 19}


@pytest.mark.parametrize("style", sorted(STYLE_FLOORS))
def test_styles_mnist_rarely_shows_are_read_right(recognizer, style):
    label, template = STYLES[style]
    rng = np.random.default_rng(14)
    images = [render(_jitter(template, rng), rng, 500, float(rng.uniform(150, 380)), float(rng.uniform(3, 30))) for _ in range(20)]
    read = [r.digit for r in recognizer.read(images)]
    assert read.count(str(label)) >= STYLE_FLOORS[style], read


def test_temperature_round_trips_through_config_and_load_model_applies_it(tmp_path):
    torch.manual_seed(0)
    model = cnn.DigitCNN(**cnn.CONFIGS["original"], temperature=1.75).eval()
    model.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["temperature"] == 1.75
    loaded = cnn.load_model(tmp_path)
    assert loaded.temperature == 1.75
    pixels = torch.rand(4, 1, 28, 28)
    expected = (loaded(pixels) / 1.75).softmax(1)
    assert torch.allclose(loaded.predict_proba(pixels), expected, atol=1e-6)
    assert not torch.allclose(loaded.predict_proba(pixels), loaded(pixels).softmax(1), atol=1e-3)
    with pytest.raises(ValueError, match="temperature"):
        cnn.DigitCNN(temperature=0.0)


def test_temperature_scaling_undoes_overconfidence_and_ece_measures_it():
    generator = torch.Generator().manual_seed(0)
    # Labels drawn from softmax(calibrated): those logits are honest. Three times them are not.
    calibrated = torch.randn(8000, 10, generator=generator) * 2
    labels = torch.multinomial(calibrated.softmax(1), 1, generator=generator).squeeze(1)
    overconfident = calibrated * 3
    temperature = fit_temperature(overconfident, labels)
    assert 2.6 < temperature < 3.4
    before = expected_calibration_error(*_top1(overconfident, labels))
    after = expected_calibration_error(*_top1(overconfident / temperature, labels))
    assert before > 0.1 and after < 0.03


def _top1(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    confidence, prediction = calibrated_top1(logits)
    return confidence, prediction == labels


@pytest.mark.parametrize("pen", [1, 30])
def test_every_digit_with_a_1px_pen_or_a_pen_30_percent_of_its_height_is_read(recognizer, pen):
    from examples.strokes import DIGIT_STROKES, smooth

    images = []
    for digit, strokes in DIGIT_STROKES.items():
        image = Image.new("RGBA", (400, 400), (0, 0, 0, 0))  # as the sketchpad sends it
        height = 300 if pen == 1 else 100  # the browser cases of issue 9: a 1 px pen, a bold small 5
        for stroke in strokes:
            points = [(60 + x * 0.8 * height, 50 + y * height) for x, y in smooth(stroke)]
            ImageDraw.Draw(image).line(points, fill=(0, 0, 0, 255), width=pen, joint="curve")
        images.append(image)
    readings = recognizer.read(images)
    assert all(r.is_digit for r in readings)  # never "not a digit"
    right = [r.digit == str(d) for r, d in zip(readings, DIGIT_STROKES)]
    # With a pen 30% of its height, the closed triangle of this 4 fills in and it reads as a 9.
    assert sum(right) >= (10 if pen == 1 else 9), [r.digit for r in readings]


@pytest.mark.parametrize("lean", [-15, 0, 15])
def test_the_benchmark_measures_the_lean_of_a_flagged_1s_stem(lean):
    # A European 1 300 px tall: a flag from the top down to the left, then the stem, its top
    # shifted right by tan(lean) of its height (+: leaning right, "/").
    top_x = 250 + 300 * np.tan(np.radians(lean))
    image = Image.new("L", (400, 400), 255)
    ImageDraw.Draw(image).line([(top_x - 120, 176), (top_x, 50), (250, 350)], fill=0, width=14)
    assert abs(stem_lean(image) - lean) < 2
