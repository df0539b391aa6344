"""The Space through its public API: the app launched here, called with gradio_client."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

import cnn
from cnn.redraw import random_stroke, redraw
from conftest import ROOT


@pytest.fixture(scope="module")
def client():
    import app

    app.demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=None, quiet=True, **app.LAUNCH_OPTIONS)
    try:
        yield Client(app.demo.local_url, verbose=False)
    finally:
        app.demo.close()


def top1(value: dict) -> str:
    return value["label"]


def test_redrawn_mnist_digits_are_read(client, mnist_test, tmp_path):
    images, labels = mnist_test
    rng = np.random.default_rng(7)
    sample = rng.choice(len(images), size=240, replace=False)
    jobs = []
    for n, index in enumerate(sample):
        path = tmp_path / f"digit{n}.png"
        redraw(images[index], random_stroke(rng)).save(path)
        jobs.append(client.submit(handle_file(str(path)), api_name="/predict"))  # concurrent: batched
    answers = [job.result(timeout=120) for job in jobs]
    for answer in answers:
        confidences = answer["confidences"]
        assert len(confidences) == 3
        assert confidences[0]["confidence"] >= confidences[1]["confidence"] >= confidences[2]["confidence"]
    accuracy = np.mean([top1(a) == str(labels[i]) for a, i in zip(answers, sample)])
    assert accuracy >= 0.98, accuracy


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L"])
def test_blank_image_gets_the_blank_answer(client, tmp_path, mode):
    colour = {"RGB": (255, 255, 255), "RGBA": (0, 0, 0, 0), "L": 0}[mode]
    path = tmp_path / "blank.png"
    Image.new(mode, (300, 200), colour).save(path)
    answer = client.predict(handle_file(str(path)), api_name="/predict")
    assert answer["label"] == "blank"
    assert not answer.get("confidences")


def test_not_an_image_is_a_clear_error_and_the_server_goes_on(client, tmp_path):
    bogus = tmp_path / "digit.png"
    bogus.write_text("this is not a picture of a digit")
    answer = client.predict(handle_file(str(bogus)), api_name="/predict")
    assert answer["label"].startswith("error: ") and "not an image" in answer["label"]
    assert not answer.get("confidences")
    good = tmp_path / "seven.png"
    Image.open(ROOT / "examples" / "seven_pencil.png").save(good)
    assert client.predict(handle_file(str(good)), api_name="/predict")["label"] == "7"


def test_the_api_lists_predict_and_hides_helpers(client):
    info = client.view_api(return_format="dict", print_info=False)
    assert list(info["named_endpoints"]) == ["/predict"]


def start_app(env_extra: dict) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_extra}
    script = "import app; print('SERVING', app.SERVED.description)"
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


def test_unreachable_hub_falls_back_to_the_shipped_weights(tmp_path):
    result = start_app({"MODEL_REPO": "alice/digit-cnn", "HF_ENDPOINT": "http://127.0.0.1:9", "HF_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "SERVING weights shipped with the app" in result.stdout
    assert "WARNING" in result.stderr and "alice/digit-cnn" in result.stderr


def test_model_repo_is_served_when_reachable(hub, tmp_path):
    folder = tmp_path / "model"
    cnn.save_pretrained(cnn.load_model(), folder)
    files = {name: (folder / name).read_bytes() for name in ("config.json", "model.safetensors")}
    hub.put_files("alice/served-digits", files)
    revision = hub.put_files("alice/served-digits", {"notes.txt": b"second commit"})
    result = start_app({"MODEL_REPO": "alice/served-digits", "MODEL_REVISION": revision, "HF_HOME": str(tmp_path / "home")})
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"SERVING alice/served-digits@{revision}" in result.stdout
