"""Faults: broken weights, a failing Hub at start, a training run killed mid-way, interrupted writes."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

import cnn
from cnn import ModelLoadError
from cnn.checkpoint import atomic_write, atomic_write_text
from helpers import start_app, train_command, run_train


@pytest.fixture
def good_folder(tmp_path):
    folder = tmp_path / "good"
    cnn.DigitCNN(channels=(8, 16), hidden=(32,)).save_pretrained(folder)
    return folder


def break_file(folder, name, content: bytes):
    (folder / name).write_bytes(content)
    return folder


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: break_file(f, "model.safetensors", b""), r"model\.safetensors: not a readable safetensors file"),
        (lambda f: break_file(f, "model.safetensors", (f / "model.safetensors").read_bytes()[:3000]), r"model\.safetensors: not a readable"),
        (lambda f: break_file(f, "model.safetensors", b"\x08\x00\x00\x00\x00\x00\x00\x00{bad json"), r"model\.safetensors: not a readable"),
        (lambda f: break_file(f, "config.json", json.dumps({"channels": [8, 32], "hidden": [32]}).encode()), r"model\.safetensors: the weights do not match config\.json.*shape"),
        (lambda f: break_file(f, "config.json", json.dumps({"channels": [8, 16], "hidden": [32], "depth": 9}).encode()), r"config\.json: unknown DigitCNN settings \['depth'\]"),
        (lambda f: break_file(f, "config.json", b"[1, 2]"), r"config\.json: the model config must be a JSON object"),
        (lambda f: break_file(f, "config.json", json.dumps({"channels": [8, 16, 32, 64, 128]}).encode()), r"config\.json: invalid DigitCNN settings"),
        (lambda f: (f / "config.json").unlink(), r"config\.json: file not found"),
    ],
    ids=["empty", "truncated", "bad-header", "wrong-shape", "unknown-setting", "not-an-object", "impossible", "no-config"],
)
def test_broken_model_folders_give_a_clear_error(good_folder, damage, message):
    damage(good_folder)
    with pytest.raises(ModelLoadError, match=message):
        cnn.load_model(good_folder)


def test_weights_with_missing_tensors_or_nan_are_refused(good_folder):
    tensors = load_file(str(good_folder / "model.safetensors"))
    key = next(k for k in tensors if k.endswith("weight"))
    save_file({k: v for k, v in tensors.items() if k != key}, str(good_folder / "model.safetensors"))
    with pytest.raises(ModelLoadError, match=f"missing {key}"):
        cnn.load_model(good_folder)
    tensors[key] = torch.full_like(tensors[key], float("nan"))
    save_file(tensors, str(good_folder / "model.safetensors"))
    with pytest.raises(ModelLoadError, match="NaN or infinity"):
        cnn.load_model(good_folder)


@pytest.mark.slow
def test_hub_answering_5xx_at_start_falls_back_to_shipped_weights(hub, tmp_path):
    hub.put_files("alice/flaky", {"config.json": b"{}"})
    hub.fail_with(503)
    try:
        result = start_app({"MODEL_REPO": "alice/flaky", "HF_HOME": str(tmp_path)})
    finally:
        hub.fail_with(None)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "SERVING weights shipped with the app" in result.stdout
    assert "WARNING" in result.stderr and "503" in result.stderr


@pytest.mark.slow
def test_hub_timing_out_at_start_falls_back_to_shipped_weights(hub, tmp_path):
    hub.put_files("alice/slow", {"config.json": b"{}"})
    hub.delay(30)  # longer than MODEL_LOAD_TIMEOUT, shorter than huggingface_hub's own timeouts would allow
    try:
        result = start_app({"MODEL_REPO": "alice/slow", "HF_HOME": str(tmp_path), "MODEL_LOAD_TIMEOUT": "3",
                            "HF_HUB_ETAG_TIMEOUT": "60", "HF_HUB_DOWNLOAD_TIMEOUT": "60"})
    finally:
        hub.delay(0)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "SERVING weights shipped with the app" in result.stdout
    assert "MODEL_REPO=alice/slow could not be loaded (no answer from the Hub within 3 s)" in result.stderr


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "metrics.json"
    atomic_write_text(target, "old and complete")

    def half_then_crash(tmp):
        tmp.write_text("new but half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, half_then_crash)
    assert target.read_text() == "old and complete"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]  # no temporary file left behind


def small_run(out, *extra):
    return ("--subset", "1000", "--epochs", "3", "--seed", "11", "--out", out, *extra)


def checkpoint_epoch(path) -> int:
    try:
        with safe_open(str(path), framework="pt") as f:
            return json.loads(f.metadata()["info"])["epoch"]
    except (OSError, SafetensorError, KeyError, ValueError):  # not there yet, or half written
        return 0


@pytest.mark.slow
def test_a_killed_run_resumes_and_ends_exactly_like_an_uninterrupted_one(tmp_path):
    straight = run_train(*small_run(tmp_path / "straight"))
    assert straight.returncode == 0, straight.stderr[-2000:]

    out = tmp_path / "killed"
    run = subprocess.Popen(train_command(*small_run(out)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while checkpoint_epoch(out / "checkpoint.safetensors") < 1 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.wait()
    epoch_at_kill = checkpoint_epoch(out / "checkpoint.safetensors")
    assert 1 <= epoch_at_kill < 3, "the run was not killed mid-way"
    assert not (out / "model.safetensors").exists()

    resumed = run_train(*small_run(out, "--resume"))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"resuming after epoch {epoch_at_kill}" in resumed.stdout
    a, b = load_file(str(tmp_path / "straight" / "model.safetensors")), load_file(str(out / "model.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    history = json.loads((out / "metrics.json").read_text())["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3]


@pytest.mark.slow
def test_resume_refuses_other_settings(tmp_path):
    first = run_train(*small_run(tmp_path, "--epochs", "1"))
    assert first.returncode == 0, first.stderr[-2000:]
    other = run_train(*small_run(tmp_path, "--epochs", "1", "--lr", "0.01", "--resume"))
    assert other.returncode != 0 and "other settings" in other.stderr
