"""Publishing to and loading from the Hub, through the real huggingface_hub client and the local Hub.

train.py runs as a subprocess, configured only through its environment, as a user would run it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from huggingface_hub import ModelCard
from PIL import Image
from safetensors.torch import load_file

import cnn
from cnn import ModelLoadError
from helpers import READ_TOKEN, ROOT, WRITE_TOKEN, run_train, start_app

pytestmark = pytest.mark.slow


def train_and_push(out: Path, repo: str, *extra: str, token: str | None = WRITE_TOKEN) -> subprocess.CompletedProcess:
    return run_train("--dry-run", "--out", out, "--push-to-hub", repo, *extra, token=token)


def load_in_a_fresh_process(repo: str, hf_home: Path, **env_extra: str) -> subprocess.CompletedProcess:
    script = "import cnn, sys; m = cnn.load_model(sys.argv[1]); print('loaded', type(m).__name__)"
    env = {**{k: v for k, v in os.environ.items() if k != "HF_TOKEN"}, "HF_HOME": str(hf_home), **env_extra}
    return subprocess.run([sys.executable, "-c", script, repo], capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)


def commit_id(stdout: str) -> str:
    match = re.search(r"^commit ([0-9a-f]{40})", stdout, re.M)
    assert match, stdout
    return match.group(1)


def assert_same_tensors(model: torch.nn.Module, path: Path) -> None:
    expected = load_file(str(path))
    actual = model.state_dict()
    assert expected.keys() == actual.keys()
    for key in expected:
        assert torch.equal(expected[key], actual[key]), key


@pytest.fixture(scope="module")
def pushed(hub, tmp_path_factory) -> tuple[str, Path, subprocess.CompletedProcess]:
    """A dry run pushed to a new repo: (the repo, the run's folder, train.py's result), shared by
    the tests that only read it back (each push trains a model first)."""
    repo, run = "alice/digits-first", tmp_path_factory.mktemp("pushed") / "run"
    result = train_and_push(run, repo)
    assert result.returncode == 0, result.stderr[-3000:]
    return repo, run, result


def test_train_push_then_load_in_an_empty_cache(hub, pushed, tmp_path):
    repo, run, result = pushed
    oid = commit_id(result.stdout)
    assert f"{hub.url}/{repo}/commit/{oid}" in result.stdout  # the commit URL is printed
    assert hub.commits(repo)[0] == oid and len(hub.commits(repo)) == 2  # the repo's first commit, then ours
    files = hub.files(repo)
    assert {"model.safetensors", "config.json", "README.md", "metrics.json", "confusion_matrix.png"} <= set(files)
    assert files["model.safetensors"] == (run / "model.safetensors").read_bytes()
    assert "MNIST test accuracy" in hub.repos[repo]["commits"][oid]["message"]

    model = cnn.load_model(repo, cache_dir=tmp_path / "empty-cache")
    assert_same_tensors(model, run / "model.safetensors")
    assert not model.training


def test_a_second_push_is_a_new_commit_and_old_commits_stay_loadable(hub, tmp_path):
    repo = "alice/digits-history"
    first = train_and_push(tmp_path / "a", repo, "--seed", "1")
    assert first.returncode == 0, first.stderr[-3000:]
    run_b = run_train("--dry-run", "--seed", "2", "--out", tmp_path / "b")
    assert run_b.returncode == 0, run_b.stderr[-3000:]
    second = run_train("--push-only", tmp_path / "b", "--push-to-hub", repo, token=WRITE_TOKEN)
    assert second.returncode == 0, second.stderr[-3000:]
    first_oid, second_oid = commit_id(first.stdout), commit_id(second.stdout)
    assert first_oid != second_oid and hub.commits(repo)[:2] == [second_oid, first_oid]

    assert_same_tensors(cnn.load_model(repo, revision=first_oid, cache_dir=tmp_path / "c"), tmp_path / "a" / "model.safetensors")
    assert_same_tensors(cnn.load_model(repo, revision="main", cache_dir=tmp_path / "c"), tmp_path / "b" / "model.safetensors")


def test_push_to_a_branch(hub, tmp_path):
    repo = "digits-org/digits-branches"  # an organisation alice writes to
    result = train_and_push(tmp_path / "run", repo, "--revision", "experiment", "--private")
    assert result.returncode == 0, result.stderr[-3000:]
    assert hub.repos[repo]["private"]
    assert "model.safetensors" in hub.files(repo, "experiment")
    assert "model.safetensors" not in hub.files(repo, "main")
    with pytest.raises(ModelLoadError):  # private: anonymous users cannot see it
        cnn.load_model(repo, revision="experiment", cache_dir=tmp_path / "anon")


def test_offline_or_unreachable_hub_after_one_pull_loads_from_the_cache(hub, pushed, tmp_path):
    repo = pushed[0]
    home = tmp_path / "home"
    online = load_in_a_fresh_process(repo, home)
    assert online.returncode == 0 and "loaded DigitCNN" in online.stdout, online.stderr[-2000:]
    requests_before = len(hub.requests)
    offline = load_in_a_fresh_process(repo, home, HF_HUB_OFFLINE="1")
    assert offline.returncode == 0 and "loaded DigitCNN" in offline.stdout, offline.stderr[-2000:]
    assert len(hub.requests) == requests_before  # served from the cache, no HTTP at all
    never_pulled = load_in_a_fresh_process(repo, tmp_path / "other", HF_HUB_OFFLINE="1")
    assert never_pulled.returncode != 0 and "cannot fetch" in never_pulled.stderr
    # A Space restarting while the Hub is down: it serves the repo's cached weights, not the fallback.
    restarted = start_app({"MODEL_REPO": repo, "HF_HOME": str(home), "HF_ENDPOINT": "http://127.0.0.1:9"})
    assert restarted.returncode == 0, restarted.stderr[-2000:]
    assert f"SERVING {repo}@main" in restarted.stdout


def test_model_card_parses_and_carries_the_measured_accuracy(hub, pushed):
    repo, run, _ = pushed
    card = ModelCard.load(repo)  # the real client fetching README.md
    metrics = json.loads((run / "metrics.json").read_text())
    data = card.data
    assert data.library_name and data.license == "mit" and data.pipeline_tag == "image-classification"
    assert data.datasets == ["mnist"] and "mnist" in data.tags
    result = data.eval_results[0]
    assert result.metric_type == "accuracy" and result.metric_value == pytest.approx(metrics["test_accuracy"], abs=1e-6)
    assert result.dataset_type == "mnist" and result.dataset_split == "test"
    assert f'from_pretrained("{repo}")' in card.text and "confusion_matrix.png" in card.text


def test_model_card_plain_safetensors_recipe_runs(hub, pushed):
    repo, run, _ = pushed
    card = ModelCard.load(repo)
    snippet = re.findall(r"```python\n(.*?)```", card.text, re.S)[1]
    assert "import cnn" not in snippet and "from cnn" not in snippet  # stands alone
    namespace: dict = {}
    exec(compile(snippet, "model-card-snippet", "exec"), namespace)
    model = namespace["model"]
    reference = cnn.load_model(run)
    pixels = torch.rand(4, 1, 28, 28)
    assert torch.allclose(model(pixels), reference(pixels))
    assert torch.allclose(namespace["predict_proba"](pixels), reference.predict_proba(pixels))


def test_model_card_project_code_recipe_runs(hub, pushed, tmp_path, monkeypatch):
    repo = pushed[0]
    snippet = re.findall(r"```python\n(.*?)```", ModelCard.load(repo).text, re.S)[0]
    monkeypatch.chdir(tmp_path)
    Image.open(ROOT / "examples" / "seven_pencil.png").save(tmp_path / "digit.png")  # the file the recipe opens
    exec(compile(snippet, "model-card-snippet", "exec"), {})  # raises if an import or a name is missing


def test_a_fine_grained_token_with_repo_write_can_push(hub, tmp_path):
    hub.tokens["hf_fine_grained_write"] = {"user": "alice", "role": "fineGrained",
                                           "scoped": [{"entity": "alice", "permissions": ["repo.content.read", "repo.write"]}]}
    result = train_and_push(tmp_path / "run", "alice/digits-fine", token="hf_fine_grained_write")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "model.safetensors" in hub.files("alice/digits-fine")


def test_token_is_never_printed_or_written(hub, tmp_path):
    secret = "hf_secret_token_that_must_not_leak_42"
    hub.tokens[secret] = {"user": "alice", "role": "write", "orgs": []}
    hf_home = tmp_path / "home"
    results = [
        train_and_push(tmp_path / "run", "alice/digits-secret", token=secret),
        train_and_push(tmp_path / "run2", "mallory/digits-secret", token=secret),  # refused: its output too
        run_train("--push-only", tmp_path / "run", "--push-to-hub", "alice/digits-secret", token=secret, HF_HOME=str(hf_home)),
    ]
    assert results[0].returncode == 0 and results[1].returncode != 0 and results[2].returncode == 0
    for result in results:
        assert secret not in result.stdout and secret not in result.stderr
    for folder in (tmp_path, Path(os.environ["HF_HOME"])):
        for path in folder.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path
    for files in (hub.files("alice/digits-secret"),):
        assert all(secret.encode() not in data for data in files.values())


@pytest.mark.parametrize(
    ("token", "repo", "message", "asks_the_hub"),
    [
        (None, "alice/digits-refused", "no Hugging Face token", False),
        ("hf_not_a_real_token", "alice/digits-refused", "token was refused", True),
        (READ_TOKEN, "bob/digits-refused", "read-only", True),
        (WRITE_TOKEN, "mallory/digits-refused", "not mallory", True),
        (WRITE_TOKEN, "not a repo id", "wants a repo id", False),
        ("hf_org_reader", "digits-org/digits-refused", "only have read access in the organisation digits-org", True),
        ("hf_fine_grained_read", "alice/digits-refused", "no repo.write permission on alice", True),
    ],
)
def test_push_fails_early_with_a_clear_message(hub, tmp_path, token, repo, message, asks_the_hub):
    hub.tokens["hf_org_reader"] = {"user": "carol", "role": "write", "orgs": {"digits-org": "read"}}
    hub.tokens["hf_fine_grained_read"] = {"user": "alice", "role": "fineGrained",
                                          "scoped": [{"entity": "alice", "permissions": ["repo.content.read"]}]}
    before = len(hub.requests)
    result = train_and_push(tmp_path / "run", repo, token=token)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "run").exists()  # refused before any training
    asked = hub.requests[before:]
    assert bool(asked) == asks_the_hub, asked  # a missing token or a malformed id is refused without any HTTP
    assert all(method == "GET" for method, _ in asked)  # and nothing was created


def test_corrupt_weights_or_a_missing_repo_on_the_hub_give_a_clear_error(hub, tmp_path):
    # A Hub download goes through the same strict checks as a local folder (every kind of damage: test_faults).
    good = tmp_path / "good"
    cnn.DigitCNN(channels=(8, 16), hidden=(32,)).save_pretrained(good)
    hub.put_files("alice/digits-corrupt", {"config.json": (good / "config.json").read_bytes(),
                                           "model.safetensors": b"\x00garbage" * 100})
    with pytest.raises(ModelLoadError, match=r"model\.safetensors: not a readable safetensors file"):
        cnn.load_model("alice/digits-corrupt", cache_dir=tmp_path / "c1")

    with pytest.raises(ModelLoadError, match=r"cannot fetch alice/no-such-repo"):
        cnn.load_model("alice/no-such-repo", cache_dir=tmp_path / "c5")


def test_from_pretrained_is_the_strict_loader_with_the_hub_options(hub, pushed, tmp_path):
    repo, run, result = pushed
    oid = commit_id(result.stdout)
    cache = tmp_path / "cache"
    model = cnn.DigitCNN.from_pretrained(repo, revision=oid, cache_dir=cache)
    assert not model.training and model.temperature == json.loads((run / "config.json").read_text())["temperature"]
    assert_same_tensors(model, run / "model.safetensors")
    assert any(cache.rglob("model.safetensors"))  # cache_dir is honoured
    again = cnn.DigitCNN.from_pretrained(repo, revision=oid, cache_dir=cache, local_files_only=True)
    assert_same_tensors(again, run / "model.safetensors")
    with pytest.raises(ModelLoadError, match="cannot fetch"):  # never pulled into this cache
        cnn.DigitCNN.from_pretrained(repo, cache_dir=tmp_path / "empty", local_files_only=True)
    with pytest.raises(ModelLoadError, match="cannot fetch alice/no-such-repo"):
        cnn.DigitCNN.from_pretrained("alice/no-such-repo", cache_dir=cache)
