"""The Space through its public API: the app launched here, called with gradio_client."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

import cnn
from cnn.redraw import random_stroke, redraw
from helpers import ROOT, free_port, start_app


def top1(value: dict) -> str:
    return value["label"]


def test_32_requests_in_flight_are_batched_and_each_gets_its_own_answer(client, mnist_test, tmp_path):
    # Accuracy is test_accuracy's; bad and blank files are test_hostile's. This is about the batching:
    # 32 different digits sent together come back in order, each with the answer the app gives it alone.
    import app

    images, labels = mnist_test
    rng = np.random.default_rng(7)
    sample = rng.choice(len(images), size=32, replace=False)
    paths = []
    for n, index in enumerate(sample):
        paths.append(tmp_path / f"digit{n}.png")
        redraw(images[index], random_stroke(rng)).save(paths[-1])
    jobs = [client.submit(handle_file(str(p)), api_name="/predict") for p in paths]
    answers = [job.result(timeout=120) for job in jobs]
    alone = [app.predict([str(p)])[0][0] for p in paths]  # {digit: probability} for the top 3, best first
    assert len(set(map(str, alone))) > 5  # different drawings, different answers: a mix-up would show
    for answer, expected in zip(answers, alone):
        assert [c["label"] for c in answer["confidences"]] == list(expected)
        assert [c["confidence"] for c in answer["confidences"]] == pytest.approx(list(expected.values()), abs=1e-4)
    assert np.mean([a["label"] == str(labels[i]) for a, i in zip(answers, sample)]) >= 0.9  # they are digits


@pytest.mark.slow
def test_readme_client_with_a_shared_ssl_context_verifies_with_it(tmp_path):
    """The README's tip for scripted use, over HTTPS: the one SSL context given is what verifies the server."""
    import ssl

    from gradio_client import Client

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    port = free_port()
    script = (f"import app; app.demo.launch(server_name='127.0.0.1', server_port={port}, ssl_certfile={str(cert)!r}, "
              f"ssl_keyfile={str(key)!r}, ssl_verify=False, **app.LAUNCH_OPTIONS)")
    server = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"https://127.0.0.1:{port}/"
    try:
        trusting = ssl.create_default_context(cafile=str(cert))
        for _ in range(240):  # the app imports torch and gradio first
            try:
                client = Client(url, verbose=False, ssl_verify=trusting)
                break
            except httpx.ConnectError as err:
                assert "CERTIFICATE" not in str(err), err
                time.sleep(0.5)
        else:
            pytest.fail(f"the HTTPS app did not start: {server.communicate(timeout=30)[0][-2000:]!r}")
        for name, digit in (("seven_pencil.png", "7"), ("four_chalkboard.png", "4")):
            assert client.predict(handle_file(str(ROOT / "examples" / name)), api_name="/predict")["label"] == digit
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            Client(url, verbose=False, ssl_verify=ssl.create_default_context())  # the system's CAs do not know it
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_api_lists_its_three_endpoints_and_hides_helpers(client):
    info = client.view_api(return_format="dict", print_info=False)
    assert list(info["named_endpoints"]) == ["/predict", "/read_number", "/correct"]


@pytest.mark.slow
def test_unreachable_hub_falls_back_to_the_shipped_weights(tmp_path):
    result = start_app({"MODEL_REPO": "alice/digit-cnn", "HF_ENDPOINT": "http://127.0.0.1:9", "HF_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "SERVING weights shipped with the app" in result.stdout
    assert "WARNING" in result.stderr and "alice/digit-cnn" in result.stderr


@pytest.mark.slow
def test_model_repo_is_served_when_reachable(hub, tmp_path):
    folder = tmp_path / "model"
    model = cnn.load_model()
    model.temperature = 1.75  # marks these weights apart from the shipped ones (1.0565)
    model.save_pretrained(folder)
    files = {name: (folder / name).read_bytes() for name in ("config.json", "model.safetensors")}
    hub.put_files("alice/served-digits", files)
    revision = hub.put_files("alice/served-digits", {"notes.txt": b"second commit"})
    result = start_app({"MODEL_REPO": "alice/served-digits", "MODEL_REVISION": revision, "HF_HOME": str(tmp_path / "home")})
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"SERVING alice/served-digits@{revision} T=1.75" in result.stdout


def test_status_line_words_for_each_kind_of_answer():
    import app
    from cnn.serve import Reading

    pixels = np.zeros((28, 28), np.float32)
    sure = app.status_text(Reading({"8": 0.99, "3": 0.005, "0": 0.002}, pixels), app.ASK_TO_DRAW)
    assert "It's **an 8** (99% sure)" in sure
    unsure = app.status_text(Reading({"8": 0.55, "3": 0.4, "0": 0.02}, pixels), app.ASK_TO_DRAW)
    assert "Not sure" in unsure and "an 8 or a 3" in unsure
    assert "one digit at a time" not in unsure.lower()  # the page reads whole numbers too
    refused = app.status_text(Reading({"1": 0.9, "7": 0.05, "4": 0.01}, pixels, handwriting=False), app.ASK_TO_DRAW)
    assert "Not a digit" in refused and "pen" not in refused.lower()
    assert "larger" in refused  # a digit drawn small for the brush is a blob (benchmarks/bench_small_digits.py)
    flat = app.status_text(Reading({"1": 0.15, "7": 0.14, "4": 0.12}, pixels), app.ASK_TO_DRAW)  # no digit in particular
    assert "larger" not in flat  # strokes, just no digit: drawing larger would not help
    assert "Not a digit" in flat and app.label_value(Reading({"1": 0.15, "7": 0.14, "4": 0.12}, pixels), None) == app.NOT_A_DIGIT
    assert app.status_text(None, app.ASK_TO_DRAW) == app.ASK_TO_DRAW


def test_each_digit_drawn_small_with_the_pages_brush_is_read():
    import app
    from make_examples import draw_strokes
    from strokes import DIGIT_STROKES

    # 40 px boxes on the 400 px canvas, about 52 px of ink with the round tips: with a 20 px brush,
    # 3, 4, 5 and 8 were blobs refused as "not a digit" and 1, 2 and 7 were misread.
    small = [draw_strokes(Image.new("RGBA", (400, 400)), strokes, box=(150, 100, 32, 40), pen=app.BRUSH_PX)
             for strokes in DIGIT_STROKES.values()]
    readings = app.RECOGNIZER.read(small)
    assert [r.digit if r.is_digit else "refused" for r in readings] == [str(d) for d in DIGIT_STROKES]


def test_upload_box_and_each_example_read_their_digit():
    import app

    names = {"seven": "7", "three": "3", "five": "5", "four": "4", "two": "2", "nine": "9"}
    for path in app.EXAMPLES:
        if Path(path).name == "number_2026.png":
            label, status, seen, table = app.read_upload(path)
            assert next(iter(label)) == "2026" and '<span class="number">2026</span>' in status, status
            assert seen.shape == (28, 4 * 28 + 3 * 2) and table.count("·") == 4 * 3  # four digits, a top 3 each
            continue
        digit = names[Path(path).name.split("_")[0]]
        label, status, seen, table = app.read_upload(path)
        assert next(iter(label)) == digit, (path, label)
        assert f"It's **{app.a_or_an(digit)}**" in status, status
        assert seen.shape == (28, 28) and seen.dtype == np.uint8 and seen.max() > 128  # what the model saw
        assert table == ""  # one digit: the single-digit display
    assert app.read_upload(None) == (None, app.ASK_TO_UPLOAD, None, "")
    label, status, seen, table = app.read_upload(str(ROOT / "README.md"))
    assert label is None and seen is None and "not an image" in status


def read_number(client, path) -> dict:
    return client.submit(handle_file(str(path)), api_name="/read_number").result(timeout=60)


def test_read_number_reads_composed_numbers_with_their_boxes(client, tmp_path):
    from make_examples import draw_number  # examples/ is on pytest's pythonpath

    for text, options in (("2026", {"size": (720, 320), "slant": 0.15}), ("47", {}), ("1990", {"size": (720, 320), "gap": 0.15})):
        path = tmp_path / f"{text}.png"
        draw_number(text, **options).convert("RGB").save(path)
        answer = read_number(client, path)
        assert answer["number"] == text and answer["message"] is None, answer
        assert [d["label"] for d in answer["digits"]] == list(text)
        for digit in answer["digits"]:
            assert [c["label"] for c in digit["confidences"]][0] == digit["label"] and len(digit["confidences"]) == 3
            x0, y0, x1, y1 = digit["box"]
            assert 0 <= x0 < x1 <= 720 and 0 <= y0 < y1 <= 320
        lefts = [d["box"][0] for d in answer["digits"]]
        assert lefts == sorted(lefts)
        assert [d["cut"] for d in answer["digits"]] == [False] * len(text)  # digits apart: none cut out of shared ink
        assert [d["maybe_touching"] for d in answer["digits"]] == [None] * len(text)
    touching = tmp_path / "touching.png"
    draw_number("23", gap=-0.08, size=(720, 320)).save(touching)  # one piece of ink: read cut apart
    answer = read_number(client, touching)
    assert answer["number"] == "23" and [d["cut"] for d in answer["digits"]] == [True, True]
    # Two 2s that touch, read whole as a sure 2, and cut as well as 22: maybe digits that touch
    draw_number("22", gap=-0.08, size=(720, 320)).save(touching)
    answer = read_number(client, touching)
    assert answer["number"] == "2" and [(d["cut"], d["maybe_touching"]) for d in answer["digits"]] == [(False, "22")]
    # The README's example, as printed there.
    answer = read_number(client, ROOT / "examples" / "number_2026.png")
    assert answer["number"] == "2026" and answer["digits"][0]["box"] == [45, 66, 158, 254] and answer["digits"][0]["cut"] is False
    assert answer["digits"][0]["maybe_touching"] is None


def test_read_number_blank_bad_and_refused_answers(client, tmp_path):
    from make_examples import draw_number

    blank = tmp_path / "blank.png"
    Image.new("RGB", (300, 300), "white").save(blank)
    assert read_number(client, blank) == {"number": None, "digits": [], "message": "blank"}
    text = tmp_path / "text.png"
    text.write_text("not a picture")
    answer = read_number(client, text)
    assert answer["number"] is None and answer["digits"] == [] and answer["message"].startswith("error: ")
    assert "not an image" in answer["message"]
    filled = [[(x, 0.1 + 0.03 * row) for row in range(27) for x in ((0.1, 0.9) if row % 2 == 0 else (0.9, 0.1))]]
    refused = tmp_path / "refused.png"
    draw_number(["2", filled, "5"], size=(720, 320), pen=26).save(refused)
    answer = read_number(client, refused)
    assert answer["number"] is None and answer["message"].startswith("Digit 2 of 3 is not a digit")
    assert [d["label"] for d in answer["digits"]] == ["2", "not a digit", "5"]
    # /predict still reads one digit: the whole image, as before
    assert client.predict(handle_file(str(ROOT / "examples" / "seven_pencil.png")), api_name="/predict")["label"] == "7"


def test_the_page_shows_a_number_or_why_there_is_none():
    import app
    from cnn.serve import NumberReading, Reading, Rival

    pixels = np.zeros((28, 28), np.float32)
    sure = Reading({"4": 0.99, "9": 0.008, "1": 0.001}, pixels)
    unsure = Reading({"7": 0.6, "1": 0.35, "2": 0.01}, pixels)
    flat = Reading({"1": 0.15, "7": 0.14, "4": 0.12}, pixels)
    boxes = [(0, 0, 10, 10), (20, 0, 30, 10)]

    label, status, seen, table = app.show(NumberReading([sure, sure], boxes, [True, True], [False, False], [None, None]), app.ASK_TO_DRAW)
    assert next(iter(label)) == "44" and label["44"] == pytest.approx(0.99 * 0.99)
    assert '<span class="number">44</span>' in status and "Every digit" in status
    assert seen.shape == (28, 58) and "digit 2" in table and "4 · 99%" in table

    label, status, _, _ = app.show(NumberReading([sure, unsure], boxes, [True, True], [False, False], [None, None]), app.ASK_TO_DRAW)
    assert list(label)[:2] == ["47", "41"] and "Not sure of digit 2: maybe a 7 or a 1" in status
    # Several unsure digits are named, or counted past three, short enough for a phone's status box
    four = [(x, 0, x + 10, 10) for x in range(0, 80, 20)]
    for readings, named in (([unsure, sure, unsure, sure], "digits 1 and 3"), ([unsure, unsure, sure, unsure], "digits 1, 2 and 4"),
                             ([unsure] * 4, "4 digits")):
        status = app.show(NumberReading(readings, four, [True] * 4, [False] * 4, [None] * 4), app.ASK_TO_DRAW)[1]
        note = status.split("<br>")[1]
        assert f"Not sure of {named} (top 3 below)" in note and len(note) <= 54

    # Two sure digits cut out of one piece of ink: the number, but never "sure" (cnn.serve.Choice.cut)
    label, status, _, _ = app.show(NumberReading([sure, sure], boxes, [True, True], [True, True], [None, None]), app.ASK_TO_DRAW)
    assert next(iter(label)) == "44" and '<span class="number">44</span>' in status
    assert "Every digit" not in status and "Not sure: digits 1 and 2 touch" in status
    three = NumberReading([sure, sure, sure], [*boxes, (40, 0, 50, 10)], [True] * 3, [False, True, True], [None] * 3)
    assert "digits 2 and 3 touch" in app.show(three, app.ASK_TO_DRAW)[1]

    # A digit read whole where a cut reads about as well (cnn.serve.RIVAL_EVIDENCE): maybe digits
    # that touch, so not sure; a cut far less likely leaves it sure.
    as_likely, far_less = Rival("68", 1.5), Rival("68", 0.01)
    label, status, _, _ = app.show(NumberReading([sure, sure], boxes, [True, True], [False, False], [None, as_likely]), app.ASK_TO_DRAW)
    assert next(iter(label)) == "44" and "Every digit" not in status and "Not sure: digit 2 may be digits that touch" in status
    status = app.show(NumberReading([sure, sure], boxes, [True, True], [False, False], [None, far_less]), app.ASK_TO_DRAW)[1]
    assert "Every digit" in status
    label, status, _, _ = app.show(NumberReading([sure], boxes[:1], [True], [False], [as_likely]), app.ASK_TO_DRAW)
    assert label == sure.top and "Not sure" in status and "maybe a 4, or 68 with its digits touching" in status
    assert app.show(NumberReading([sure], boxes[:1], [True], [False], [far_less]), app.ASK_TO_DRAW)[1] == app.status_text(sure, app.ASK_TO_DRAW)

    label, status, _, _ = app.show(NumberReading([sure, flat], boxes, [True, True], [False, False], [None, None]), app.ASK_TO_DRAW)
    assert label == app.NOT_A_DIGIT and "Digit 2 of 2 is not a digit" in status

    label, status, _, _ = app.show(NumberReading([sure, sure], boxes, [True, False], [False, False], [None, None]), app.ASK_TO_DRAW)
    assert label == app.TOUCHING and "could not be separated" in status
    label, status, _, _ = app.show(NumberReading([sure], boxes[:1], [False], [False], [None]), app.ASK_TO_DRAW)  # all of it one piece
    assert label == app.TOUCHING and "The drawing looks like digits that touch" in status

    label, status, seen, table = app.show(NumberReading([sure], boxes[:1], [True], [False], [None]), app.ASK_TO_DRAW)  # as before
    assert (label, status, table) == (sure.top, app.status_text(sure, app.ASK_TO_DRAW), "")
    assert np.array_equal(seen, app.preview(sure))
