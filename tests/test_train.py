"""train.py end to end, as a user runs it (a subprocess), in its --dry-run size."""

import json

import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

import cnn
from helpers import WRITE_TOKEN, run_train

pytestmark = pytest.mark.slow

ORIGINAL_RECIPE = ("--arch", "original", "--schedule", "constant", "--lr", "1e-3", "--weight-decay", "0",
                   "--ema-decay", "0", "--no-augment", "--outliers", "0")


def dry_run(out, *extra):
    result = run_train("--dry-run", "--out", out, *extra)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_dry_run_writes_a_loadable_model_folder(tmp_path):
    result = dry_run(tmp_path)
    assert "test accuracy" in result.stdout
    for name in ("model.safetensors", "config.json", "metrics.json", "README.md", "confusion_matrix.png"):
        assert (tmp_path / name).is_file(), name
    model = cnn.load_model(tmp_path)
    assert isinstance(model, cnn.DigitCNN) and not model.training
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    matrix = metrics["confusion_matrix"]
    assert len(matrix) == 10 and sum(map(sum, matrix)) == metrics["test_samples"] == 512
    right = sum(matrix[d][d] for d in range(10))  # the reported accuracy is the matrix's diagonal
    assert metrics["test_accuracy"] == right / 512 and metrics["test_errors"] == 512 - right
    assert set(metrics["per_class_accuracy"]) == {str(d) for d in range(10)}
    with Image.open(tmp_path / "confusion_matrix.png") as png:
        assert png.size[0] > 300


def test_dry_run_honours_epochs_holds_out_validation_and_calibrates(tmp_path):
    dry_run(tmp_path, "--epochs=2", "--subset", "1000")
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert [row["epoch"] for row in metrics["history"]] == [1, 2]
    assert all("val_acc" in row and "test_acc" not in row for row in metrics["history"])  # test read once, at the end
    assert metrics["train_config"]["validation"] == 5000  # of which a tenth of the subset is used
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["temperature"] == metrics["temperature"] > 0
    assert cnn.load_model(tmp_path).temperature == config["temperature"]
    assert 0 <= metrics["validation_ece"] <= 1 and 0 <= metrics["test_ece"] <= 1


def test_same_seed_same_weights_other_seed_other_weights(tmp_path):
    dry_run(tmp_path / "a", "--seed", "3")
    dry_run(tmp_path / "b", "--seed", "3")
    dry_run(tmp_path / "c", "--seed", "4")
    a, b, c = (load_file(str(tmp_path / run / "model.safetensors")) for run in "abc")
    assert all(torch.equal(a[key], b[key]) for key in a)
    assert not all(torch.equal(a[key], c[key]) for key in a)


def test_bad_arguments_are_refused_with_a_message(tmp_path):
    for args, message in ((("--arch", "nonsense"), "--arch must be one of"),
                          (("--validation", "0"), "--validation must be at least 1")):
        result = run_train(*args, "--out", tmp_path)
        assert result.returncode == 2 and message in result.stderr, result.stderr[-2000:]


def test_the_original_recipe_still_trains(tmp_path):
    # README, "What changed": the architecture and recipe the project started from, as flags.
    dry_run(tmp_path, *ORIGINAL_RECIPE)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["convs_per_block"] == 1
    recorded = json.loads((tmp_path / "metrics.json").read_text())["train_config"]
    assert (recorded["schedule"], recorded["augment"], recorded["outliers"], recorded["ema_decay"]) == ("constant", False, 0, 0.0)


def test_push_only_refuses_an_incomplete_model_folder(hub, tmp_path):
    dry_run(tmp_path)
    (tmp_path / "metrics.json").unlink()
    result = run_train("--push-only", tmp_path, "--push-to-hub", "alice/digits-incomplete", token=WRITE_TOKEN)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "is not a complete model folder: missing ['metrics.json']" in result.stderr


def test_a_dry_run_has_its_own_folder_and_says_its_numbers_mean_nothing(tmp_path):
    result = run_train("--dry-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "runs" / "dry-run" / "model.safetensors").is_file()
    assert not (tmp_path / "runs" / "latest").exists()
    assert "1 epoch\n" in result.stdout and "they say nothing about the model" in result.stdout


def test_no_mnist_and_no_network_is_one_clear_line(tmp_path):
    unreachable = "http://127.0.0.1:9"  # torchvision's download goes through it and fails at once
    result = run_train("--dry-run", "--data-dir", tmp_path / "empty", "--out", tmp_path / "run",
                       http_proxy=unreachable, https_proxy=unreachable, HTTP_PROXY=unreachable, HTTPS_PROXY=unreachable)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-3000:]
    assert f"error: MNIST is not in {tmp_path / 'empty'}/MNIST/raw and could not be downloaded" in result.stderr
    assert "Point --data-dir or $MNIST_ROOT at a folder holding MNIST/raw." in result.stderr


def test_help_shows_real_defaults():
    result = run_train("--help", COLUMNS="1000")  # argparse would wrap the lines at the terminal width
    assert "(default: )" not in result.stdout and "(default: data)" not in result.stdout
    assert "(default: 24)" in result.stdout and "else ./data)" in result.stdout
