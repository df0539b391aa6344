"""The fake Hub (tests/fake_hub.py) against the REAL huggingface_hub client, over real HTTP, nothing patched.

huggingface_hub is already imported (by conftest, through cnn) when this module loads, so env vars read at import
time (HF_ENDPOINT, HF_HUB_DISABLE_XET) cannot be set here: in-process calls pass `endpoint=` explicitly and hand
LFS files over as file objects (which makes the client use Git LFS instead of Xet); the last test runs
`upload_folder` in a subprocess with the env set before import.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import urllib.request

import httpx2
import pytest
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from fake_hub import GITATTRIBUTES, FakeHub

# huggingface_hub's own LFS upload passes a file object as `data=`, which httpx2 flags as deprecated.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

TOKENS = {
    "tok-alice": {"user": "alice", "role": "write", "orgs": ["digits"]},
    "tok-alice-read": {"user": "alice", "role": "read", "orgs": ["digits"]},
    "tok-bob": {"user": "bob", "role": "write", "orgs": []},
}
REPO = "alice/digit-cnn"


def model_files() -> dict[str, bytes]:
    return {
        "model.safetensors": os.urandom(4096),
        "config.json": b'{"channels": 8}\n',
        "README.md": b"---\nlicense: mit\n---\n# Digit CNN\n",
        "metrics.json": b'{"accuracy": 0.99}\n',
        "confusion_matrix.png": b"\x89PNG\r\n\x1a\n" + os.urandom(2048),
    }


def commit(api: HfApi, files: dict[str, bytes], message: str = "Upload model", **kwargs):
    # File objects (BufferedIOBase) make huggingface_hub upload LFS files over plain HTTP even when hf_xet is on.
    ops = [CommitOperationAdd(path_in_repo=path, path_or_fileobj=io.BytesIO(data)) for path, data in files.items()]
    return api.create_commit(REPO, operations=ops, commit_message=message, **kwargs)


@pytest.fixture
def hub():
    server = FakeHub(TOKENS).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def api(hub):
    return HfApi(endpoint=hub.url, token="tok-alice")


@pytest.fixture
def download(hub, tmp_path):
    def _download(filename, repo_id=REPO, **kwargs):
        kwargs.setdefault("token", "tok-alice")
        path = hf_hub_download(repo_id, filename, endpoint=hub.url, cache_dir=tmp_path / "cache", **kwargs)
        with open(path, "rb") as f:
            return f.read()

    return _download


def test_whoami(hub, api):
    me = api.whoami()
    assert me["name"] == "alice" and [o["name"] for o in me["orgs"]] == ["digits"]
    assert me["auth"]["accessToken"]["role"] == "write"
    with pytest.raises(HfHubHTTPError) as err:
        HfApi(endpoint=hub.url, token="tok-nobody").whoami()
    assert err.value.response.status_code == 401
    assert ("GET", "/api/whoami-v2") in hub.requests


def test_create_repo(hub, api):
    url = api.create_repo(REPO)
    assert url == f"{hub.url}/{REPO}" and url.repo_id == REPO
    assert hub.files(REPO) == {".gitattributes": GITATTRIBUTES} and len(hub.commits(REPO)) == 1
    with pytest.raises(HfHubHTTPError) as err:
        api.create_repo(REPO)
    assert err.value.response.status_code == 409
    assert api.create_repo(REPO, exist_ok=True) == url
    assert api.create_repo(REPO, exist_ok=True) == url
    assert api.create_repo("digits/shared").repo_id == "digits/shared"  # an org of alice
    assert api.create_repo("no-namespace").repo_id == "alice/no-namespace"
    for token, repo_id in [("tok-alice", "bob/mine"), ("tok-alice-read", "alice/other")]:
        with pytest.raises(HfHubHTTPError) as err:
            HfApi(endpoint=hub.url, token=token).create_repo(repo_id)
        assert err.value.response.status_code == 403
    assert "bob/mine" not in hub.repos and "alice/other" not in hub.repos


def test_one_commit_with_lfs_and_regular_files(hub, api, download):
    api.create_repo(REPO)
    files = model_files()
    info = commit(api, files)
    assert hub.commits(REPO)[0] == info.oid and len(hub.commits(REPO)) == 2
    assert hub.files(REPO) == {".gitattributes": GITATTRIBUTES, **files}
    uploads = sorted(path for method, path in hub.requests if method == "PUT")
    assert len(uploads) == 2 and all(p.startswith("/lfs-upload/") for p in uploads)  # safetensors + png
    assert ("POST", f"/{REPO}.git/info/lfs/objects/batch") in hub.requests
    assert ("POST", f"/{REPO}.git/info/lfs/objects/verify") in hub.requests
    for name, data in files.items():
        assert download(name) == data
    model = api.model_info(REPO, files_metadata=True)
    assert model.sha == info.oid and {s.rfilename for s in model.siblings} == {".gitattributes", *files}
    assert {s.rfilename for s in model.siblings if s.lfs} == {"model.safetensors", "confusion_matrix.png"}


def test_revisions_and_branches(hub, api, download):
    api.create_repo(REPO)
    first = commit(api, model_files()).oid
    old_config = hub.files(REPO)["config.json"]
    second = commit(api, {"config.json": b'{"channels": 16}\n'}, "Wider").oid
    assert hub.commits(REPO)[:2] == [second, first]
    assert download("config.json", revision=first) == old_config
    assert download("config.json") == b'{"channels": 16}\n'
    with pytest.raises(HfHubHTTPError) as err:  # parentCommit is not the head of main any more
        commit(api, {"config.json": b"{}"}, parent_commit=first)
    assert err.value.response.status_code == 412

    api.create_branch(REPO, branch="exp")
    api.create_branch(REPO, branch="exp", exist_ok=True)
    with pytest.raises(HfHubHTTPError) as err:
        api.create_branch(REPO, branch="exp")
    assert err.value.response.status_code == 409
    on_branch = commit(api, {"config.json": b'{"channels": 32}\n'}, "Try 32", revision="exp").oid
    assert hub.commits(REPO, "exp")[:2] == [on_branch, second]
    assert download("config.json", revision="exp") == b'{"channels": 32}\n'
    assert download("config.json") == b'{"channels": 16}\n'
    assert api.model_info(REPO, revision="exp").sha == on_branch


def test_snapshot_download_allow_patterns(hub, api, tmp_path):
    api.create_repo(REPO)
    files = model_files()
    commit(api, files)
    folder = snapshot_download(
        REPO, allow_patterns=["*.json", "*.safetensors"], endpoint=hub.url, token="tok-alice", cache_dir=tmp_path
    )
    got = {name: open(os.path.join(folder, name), "rb").read() for name in os.listdir(folder)}
    assert got == {k: v for k, v in files.items() if k.endswith((".json", ".safetensors"))}


def test_not_found_errors(hub, api, download):
    api.create_repo(REPO)
    commit(api, {"config.json": b"{}"})
    with pytest.raises(EntryNotFoundError):
        download("missing.bin")
    with pytest.raises(RepositoryNotFoundError):
        download("config.json", repo_id="alice/nope")
    with pytest.raises(RevisionNotFoundError):
        download("config.json", revision="no-such-branch")
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("alice/nope")
    api.create_repo("alice/secret", private=True)
    assert api.model_info("alice/secret").private
    with pytest.raises(RepositoryNotFoundError):  # private repos are invisible to others
        HfApi(endpoint=hub.url, token="tok-bob").model_info("alice/secret")


def test_range_requests(hub):
    hub.put_files(REPO, {"weights.bin": b"0123456789"})
    request = urllib.request.Request(f"{hub.url}/{REPO}/resolve/main/weights.bin", headers={"Range": "bytes=4-"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 206 and response.read() == b"456789"
        assert response.headers["Content-Range"] == "bytes 4-9/10"


def test_fault_injection(hub, api, download):
    api.create_repo(REPO)
    hub.fail_with(503)
    with pytest.raises(HfHubHTTPError) as err:  # model_info does not retry
        api.model_info(REPO)
    assert err.value.response.status_code == 503
    hub.fail_with(None)
    assert api.model_info(REPO).sha == hub.commits(REPO)[0]
    hub.delay(1.0)
    with pytest.raises(httpx2.TimeoutException):
        api.model_info(REPO, timeout=0.2)
    hub.delay(0)
    assert download(".gitattributes") == GITATTRIBUTES


def test_upload_folder_with_env_before_import(hub, tmp_path):
    """HF_ENDPOINT / HF_TOKEN / HF_HUB_DISABLE_XET only work if set before huggingface_hub is imported."""
    folder = tmp_path / "model"
    folder.mkdir()
    files = model_files()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    script = textwrap.dedent(f"""
        from huggingface_hub import HfApi, hf_hub_download
        api = HfApi()
        api.create_repo({REPO!r}, exist_ok=True)
        print(api.upload_folder(repo_id={REPO!r}, folder_path={str(folder)!r}).oid)
        path = hf_hub_download({REPO!r}, "model.safetensors")
        assert open(path, "rb").read() == open({str(folder / "model.safetensors")!r}, "rb").read()
    """)
    env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_TOKEN": "tok-alice", "HF_HUB_DISABLE_XET": "1",
           "HF_HOME": str(tmp_path / "hf_home"), "HF_HUB_DISABLE_TELEMETRY": "1"}
    env.pop("HF_HUB_OFFLINE", None)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == hub.commits(REPO)[0] and len(hub.commits(REPO)) == 2
    assert hub.files(REPO) == {".gitattributes": GITATTRIBUTES, **files}
    assert sum(method == "PUT" for method, _ in hub.requests) == 2  # plain LFS uploads of the .safetensors and .png
    assert not any("xet" in path for _, path in hub.requests)
