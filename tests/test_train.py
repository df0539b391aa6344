"""train.py end to end, as a user runs it (a subprocess), in its --dry-run size."""

import json
import subprocess
import sys

import torch
from PIL import Image
from safetensors.torch import load_file

import cnn
from conftest import ROOT


def run_train(out, *extra):
    result = subprocess.run(
        [sys.executable, str(ROOT / "train.py"), "--dry-run", "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_dry_run_writes_a_loadable_model_folder(tmp_path):
    result = run_train(tmp_path)
    assert "test accuracy" in result.stdout
    for name in ("model.safetensors", "config.json", "metrics.json", "README.md", "confusion_matrix.png"):
        assert (tmp_path / name).is_file(), name
    model = cnn.load_model(tmp_path)
    assert isinstance(model, cnn.DigitCNN) and not model.training
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert 0 <= metrics["test_accuracy"] <= 1
    matrix = metrics["confusion_matrix"]
    assert len(matrix) == 10 and sum(map(sum, matrix)) == metrics["test_samples"] == 512
    assert set(metrics["per_class_accuracy"]) == {str(d) for d in range(10)}
    with Image.open(tmp_path / "confusion_matrix.png") as png:
        assert png.size[0] > 300


def test_dry_run_honours_epochs_holds_out_validation_and_calibrates(tmp_path):
    run_train(tmp_path, "--epochs=2", "--subset", "1000")
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert [row["epoch"] for row in metrics["history"]] == [1, 2]
    assert all("val_acc" in row and "test_acc" not in row for row in metrics["history"])  # test read once, at the end
    assert metrics["train_config"]["validation"] == 5000  # of which a tenth of the subset is used
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["temperature"] == metrics["temperature"] > 0
    assert cnn.load_model(tmp_path).temperature == config["temperature"]
    assert 0 <= metrics["validation_ece"] <= 1 and 0 <= metrics["test_ece"] <= 1


def test_same_seed_same_weights_other_seed_other_weights(tmp_path):
    run_train(tmp_path / "a", "--seed", "3")
    run_train(tmp_path / "b", "--seed", "3")
    run_train(tmp_path / "c", "--seed", "4")
    a, b, c = (load_file(str(tmp_path / run / "model.safetensors")) for run in "abc")
    assert all(torch.equal(a[key], b[key]) for key in a)
    assert not all(torch.equal(a[key], c[key]) for key in a)


def test_bad_arguments_are_refused_with_a_message(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "train.py"), "--arch", "nonsense", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "--arch must be one of" in result.stderr
