"""A small in-memory Hugging Face Hub that the real `huggingface_hub` client talks to over HTTP.

Start it on 127.0.0.1 (random free port), then point the client at `hub.url`: `HfApi(endpoint=hub.url)`,
`hf_hub_download(..., endpoint=hub.url)`, or `HF_ENDPOINT=hub.url` in the environment of a subprocess
(huggingface_hub reads HF_ENDPOINT, HF_HUB_OFFLINE, HF_HUB_DISABLE_XET... once, at import time).

Uploads: with `hf_xet` installed, huggingface_hub 2.4.0 uploads LFS files through Xet whatever the server
says; this hub only speaks the Git LFS "basic" transfer, so set HF_HUB_DISABLE_XET=1 before importing
huggingface_hub (or pass LFS files as open binary file objects, which makes the client fall back to LFS).
Downloads never use Xet here: no `X-Xet-Hash` header is ever sent.

Endpoints (the ROUTES table below; repo ids are "namespace/name"; a revision is a
branch name or a full 40-hex commit oid, URL-encoded, e.g. refs%2Fpr%2F1); {kind} is models, spaces or datasets:
  GET      /api/whoami-v2                                  who owns the Bearer token (401 if none/unknown)
  POST     /api/repos/create                               create a model or dataset repo, or a Space with its sdk (409 + {"url"})
  POST     /api/validate-yaml                              README.md metadata check (always valid)
  GET      /api/{kind}/{repo_id}[/revision/{revision}]     repo info at main or at a revision
  GET      /api/{kind}/{repo_id}/tree/{revision}[/{path}]  file listing (?recursive=true), for snapshot_download
  POST     /api/{kind}/{repo_id}/preupload/{revision}      "lfs" or "regular" upload mode per file
  POST     /api/{kind}/{repo_id}/commit/{branch}           NDJSON commit: header, file and lfsFile lines
  POST     /api/{kind}/{repo_id}/branch/{branch}           create a branch ({"startingPoint"}, 409 if it exists)
  GET,POST /api/spaces/{repo_id}/variables                 a Space's variables (POST {"key", "value"} sets one)
  POST     /api/spaces/{repo_id}/secrets                   sets a Space secret ({"key", "value"}); FakeHub.secrets() reads them
  GET      /api/spaces/{repo_id}/runtime                   RUNNING when the card's app_file is in the repo, else
                                                           NO_APP_FILE (nothing is built or run here)
  GET      /api/spaces/{repo_id}/logs/{build,run}          one server-sent event that says so
  POST     /[spaces/|datasets/]{repo_id}.git/info/lfs/objects/batch  Git LFS batch API, "basic" transfer
  POST     /[spaces/|datasets/]{repo_id}.git/info/lfs/objects/verify LFS verify step after an upload
  PUT      /lfs-upload/{sha256}                            LFS object upload (the batch API's href, no auth)
  HEAD,GET /[spaces/|datasets/]{repo_id}/resolve/{revision}/{path}   file metadata / content (Range supported)
Anything else answers 404. Errors are JSON {"error": ...} with X-Error-Message and, where the Hub sends it,
X-Error-Code (RepoNotFound / RevisionNotFound / EntryNotFound). Like the Hub, an unknown Bearer token is a
401 on every endpoint, and a private repo is "not found" (401 anonymous, 404 authenticated) to non-members.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

LFS_SUFFIXES = (".safetensors", ".png")
LFS_THRESHOLD = 10 * 1024 * 1024
GITATTRIBUTES = b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.png filter=lfs diff=lfs merge=lfs -text\n"

# Repo ids always have a namespace here ("alice/digit-cnn") and match as two segments, so a repo named like an
# action ("alice/tree") routes right. A model is stored under its id, a Space under "spaces/{id}" and a dataset
# under "datasets/{id}", as in URLs.
_REPO = r"(?P<repo>[^/]+/[^/]+)"
_API = rf"/api/(?P<kind>models|spaces|datasets)/{_REPO}"
_SPACE_API = rf"/api/(?P<kind>spaces)/{_REPO}"
_GIT = rf"/(?:(?P<prefix>spaces|datasets)/)?{_REPO}"
# (methods, path pattern on the raw URL path, handler FakeHub._{name}); the first full match wins.
ROUTES = [(methods, re.compile(pattern), name) for methods, pattern, name in [
    (("PUT",), r"/lfs-upload/(?P<oid>[0-9a-f]{64})", "lfs_put"),
    (("GET",), r"/api/whoami-v2", "whoami"),
    (("POST",), r"/api/repos/create", "create"),
    (("POST",), r"/api/validate-yaml", "validate_yaml"),
    (("GET",), _API + r"(?:/revision/(?P<rev>[^/]+))?", "info"),
    (("GET",), _API + r"/tree/(?P<rev>[^/]+)(?:/(?P<path>.+))?", "tree"),
    (("POST",), _API + r"/preupload/(?P<rev>[^/]+)", "preupload"),
    (("POST",), _API + r"/commit/(?P<rev>[^/]+)", "commit"),
    (("POST",), _API + r"/branch/(?P<rev>.+)", "branch"),
    (("GET", "POST"), _SPACE_API + r"/variables", "variables"),
    (("POST",), _SPACE_API + r"/secrets", "secrets"),
    (("GET",), _SPACE_API + r"/runtime", "runtime"),
    (("GET",), _SPACE_API + r"/logs/(?P<log>build|run)", "logs"),
    (("POST",), _GIT + r"\.git/info/lfs/objects/batch", "lfs_batch"),
    (("POST",), _GIT + r"\.git/info/lfs/objects/verify", "lfs_verify"),
    (("GET", "HEAD"), _GIT + r"/resolve/(?P<rev>[^/]+)/(?P<path>.+)", "resolve"),
]]


class _Request(NamedTuple):
    method: str
    user: dict | None  # the token's owner, None when anonymous
    groups: dict[str, str]  # the route's named groups, URL-decoded
    query: dict
    body: bytes
    headers: object

    @property
    def key(self) -> str:
        """Where the repo is stored: its id for a model, "spaces/{id}" for a Space, "datasets/{id}" for a dataset."""
        kind = self.groups.get("prefix") or self.groups.get("kind")
        return (f"{kind}/" if kind in ("spaces", "datasets") else "") + self.groups["repo"]


def is_lfs(path: str, data: bytes) -> bool:
    """Same rule as the preupload answer: non-empty *.safetensors / *.png, or anything over 10 MB."""
    return len(data) > 0 and (path.endswith(LFS_SUFFIXES) or len(data) > LFS_THRESHOLD)


def git_blob_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _file_entry(path: str, data: bytes) -> dict:
    """A tree entry as /api/models/{repo}/tree returns it (LFS files carry an "lfs" block)."""
    entry = {"type": "file", "path": path, "size": len(data), "oid": git_blob_oid(data)}
    if is_lfs(path, data):
        sha = hashlib.sha256(data).hexdigest()
        pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {len(data)}\n".encode()
        entry["oid"] = git_blob_oid(pointer)
        entry["lfs"] = {"oid": sha, "size": len(data), "pointerSize": len(pointer)}
    return entry


class HubError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, headers=None, extra=None):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
        self.headers, self.extra = dict(headers or {}), dict(extra or {})


def _json(body: bytes):
    try:
        return json.loads(body or b"{}")
    except ValueError:
        raise HubError(400, "Invalid JSON body") from None


class FakeHub:
    def __init__(self, tokens: dict[str, dict] | None = None, host: str = "127.0.0.1", port: int = 0):
        # token -> {"user": ..., "role": "write" | "read" | "fineGrained", "orgs": [names] or {name: "write" | "read"},
        #           "scoped": [{"entity": name, "permissions": ["repo.write", ...]}] for a fine-grained token}
        self.tokens = dict(tokens or {})
        self.repos: dict[str, dict] = {}  # "ns/name", "spaces/ns/name" or "datasets/ns/name" -> {"private", "refs", "commits", ...}
        self.lfs: dict[str, bytes] = {}  # sha256 hex -> content
        self.requests: list[tuple[str, str]] = []  # (method, raw URL path without query)
        self._lock = threading.RLock()
        self._fail: int | None = None
        self._delay = 0.0
        self._pending_lfs: dict[str, int] = {}  # oid -> size announced through the batch API
        self._counter = 0
        self._server = _Server((host, port), _Handler)
        self._server.hub = self
        self._thread: threading.Thread | None = None

    # ----- test helpers -----
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeHub:
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-hub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def fail_with(self, status: int | None) -> None:
        """Answer every request with this HTTP status until None."""
        with self._lock:
            self._fail = status

    def delay(self, seconds: float) -> None:
        """Sleep this long before answering every request (0 to stop)."""
        with self._lock:
            self._delay = float(seconds)

    def create_repo(self, repo_id: str, private: bool = False, sdk: str | None = None) -> dict:
        """Plant a repo ("ns/name", "datasets/ns/name", or "spaces/ns/name" with an sdk) with its initial commit on
        main, as the Hub does."""
        with self._lock:
            repo = {"private": private, "created": _now(), "refs": {}, "commits": {}, "sdk": sdk, "variables": {},
                    "secrets": {}}
            self.repos[repo_id] = repo
            self._add_commit(repo_id, "main", {".gitattributes": GITATTRIBUTES}, "initial commit")
            return repo

    def put_files(self, repo_id: str, files: dict, message: str = "Planted by a test", branch: str = "main") -> str:
        """Commit `files` (path -> bytes, or None to delete) straight onto `branch`; creates the repo if needed."""
        with self._lock:
            if repo_id not in self.repos:
                self.create_repo(repo_id)
            merged = dict(self.files(repo_id, branch))
            for path, data in files.items():
                if data is None:
                    merged.pop(path, None)
                else:
                    merged[path] = bytes(data)
                    if is_lfs(path, merged[path]):
                        self.lfs[hashlib.sha256(merged[path]).hexdigest()] = merged[path]
            return self._add_commit(repo_id, branch, merged, message)

    def files(self, repo_id: str, revision: str = "main") -> dict[str, bytes]:
        with self._lock:
            repo = self.repos[repo_id]
            return dict(repo["commits"][self._resolve_rev(repo, revision)]["files"])

    def commits(self, repo_id: str, branch: str = "main") -> list[str]:
        """Commit oids reachable from `branch`, newest first."""
        with self._lock:
            repo, out = self.repos[repo_id], []
            oid = repo["refs"][branch]
            while oid is not None:
                out.append(oid)
                oid = repo["commits"][oid]["parent"]
            return out

    # ----- internals -----
    def _add_commit(self, repo_id: str, branch: str, files: dict, message: str) -> str:
        repo = self.repos[repo_id]
        self._counter += 1
        parent = repo["refs"].get(branch)
        oid = hashlib.sha1(f"{repo_id}\0{parent}\0{message}\0{self._counter}\0{time.time_ns()}".encode()).hexdigest()
        repo["commits"][oid] = {"files": files, "parent": parent, "message": message, "date": _now()}
        repo["refs"][branch] = oid
        return oid

    def _resolve_rev(self, repo: dict, revision: str) -> str:
        if revision in repo["refs"]:
            return repo["refs"][revision]
        if revision in repo["commits"]:
            return revision
        raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")

    def _caller(self, headers) -> dict | None:
        auth = headers.get("Authorization")
        if not auth:
            return None
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else None
        if token not in self.tokens:
            raise HubError(401, "Invalid credentials in Authorization header")
        return self.tokens[token]

    @staticmethod
    def _org_roles(user: dict) -> dict[str, str]:
        orgs = user.get("orgs", [])
        return dict(orgs) if isinstance(orgs, dict) else {org: "write" for org in orgs}

    def _member(self, user: dict | None, namespace: str) -> bool:
        return user is not None and (namespace == user["user"] or namespace in self._org_roles(user))

    def _can_write(self, user: dict, namespace: str, repo_id: str) -> bool:
        if user.get("role") == "fineGrained":
            return any(scope["entity"] in (namespace, repo_id) and "repo.write" in scope["permissions"]
                       for scope in user.get("scoped", []))
        own = namespace == user["user"] or self._org_roles(user).get(namespace) == "write"
        return user.get("role") == "write" and own

    def _repo(self, req: _Request, write: bool = False) -> dict:
        user, repo_id = req.user, req.groups["repo"]
        repo, namespace = self.repos.get(req.key), repo_id.split("/")[0]
        if repo is None or (repo["private"] and not self._member(user, namespace)):
            raise HubError(401 if user is None else 404, "Repository not found", "RepoNotFound")
        if write and user is None:
            raise HubError(401, "You must be authenticated to write to this repo")
        if write and not self._can_write(user, namespace, repo_id):
            raise HubError(403, f"You don't have the rights to write to {repo_id}")
        return repo

    def _route(self, method: str, path: str, query: dict, body: bytes, headers):
        for methods, pattern, name in ROUTES:
            match = pattern.fullmatch(path)
            if method in methods and match:
                groups = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
                user = None if name == "lfs_put" else self._caller(headers)  # LFS hrefs carry no auth
                return getattr(self, "_" + name)(_Request(method, user, groups, query, body, headers))
        raise HubError(404, f"Not found: {method} {path}")

    def _validate_yaml(self, req):
        return 200, {}, {"errors": [], "warnings": []}

    def _whoami(self, req):
        user = req.user
        if user is None:
            raise HubError(401, "Invalid credentials in Authorization header")
        orgs = [{"type": "org", "name": org, "roleInOrg": role} for org, role in self._org_roles(user).items()]
        access = {"displayName": "test", "role": user.get("role", "read")}
        if access["role"] == "fineGrained":
            access["fineGrained"] = {"scoped": [{"entity": {"name": scope["entity"]}, "permissions": scope["permissions"]}
                                                for scope in user.get("scoped", [])]}
        return 200, {}, {"type": "user", "name": user["user"], "fullname": user["user"], "orgs": orgs,
                         "auth": {"type": "access_token", "accessToken": access}}

    def _create(self, req):
        user, request = req.user, _json(req.body)
        if user is None:
            raise HubError(401, "You must be authenticated to create a repo")
        kind = request.get("type") or "model"
        if kind not in ("model", "dataset", "space") or (kind == "space") != bool(request.get("sdk")):
            raise HubError(400, "This fake hub hosts model and dataset repos, and Spaces that name their sdk")
        name, namespace = request.get("name"), request.get("organization") or user["user"]
        if not isinstance(name, str) or not name or "/" in name:
            raise HubError(400, f"Invalid repo name: {name!r}")
        repo_id = f"{namespace}/{name}"
        if not self._can_write(user, namespace, repo_id):
            raise HubError(403, f'You don\'t have the rights to create a {kind} under the namespace "{namespace}"')
        key = ({"space": "spaces/", "dataset": "datasets/"}.get(kind, "")) + repo_id
        url = f"{self.url}/{key}"
        if key in self.repos:
            raise HubError(409, f"You already created this {kind} repo", extra={"url": url})
        private = request.get("visibility") == "private" or bool(request.get("private"))
        self.create_repo(key, private=private, sdk=request.get("sdk"))
        return 200, {}, {"url": url, "name": repo_id}

    def _info(self, req):
        repo = self._repo(req)
        return 200, {}, self._info_of(req.groups["repo"], repo, self._resolve_rev(repo, req.groups.get("rev", "main")),
                                      blobs="blobs" in req.query)

    def _tree(self, req):
        repo = self._repo(req)
        recursive = req.query.get("recursive", ["false"])[0].lower() in ("1", "true")
        return 200, {}, self._listing(repo, self._resolve_rev(repo, req.groups["rev"]), req.groups.get("path", ""), recursive)

    def _preupload(self, req):
        repo, answers = self._repo(req, write=True), []
        files = repo["commits"][self._resolve_rev(repo, req.groups["rev"])]["files"]
        for f in _json(req.body).get("files", []):
            path, size = f["path"], int(f["size"])
            lfs = size > 0 and (path.endswith(LFS_SUFFIXES) or size > LFS_THRESHOLD)
            answer = {"path": path, "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False}
            if path in files:  # lets the client skip unchanged files, like the Hub
                old = files[path]
                answer["oid"] = hashlib.sha256(old).hexdigest() if is_lfs(path, old) else git_blob_oid(old)
            answers.append(answer)
        return 200, {}, {"files": answers, "commitOid": self._resolve_rev(repo, req.groups["rev"])}

    def _branch(self, req):
        repo, branch = self._repo(req, write=True), req.groups["rev"]
        start = _json(req.body).get("startingPoint")
        if branch in repo["refs"]:
            raise HubError(409, f"Reference already exists: refs/heads/{branch}")
        repo["refs"][branch] = self._resolve_rev(repo, start) if start else repo["refs"]["main"]
        return 200, {}, {"name": branch, "ref": f"refs/heads/{branch}", "targetCommit": repo["refs"][branch]}

    def _variables(self, req):
        repo = self._repo(req, write=req.method == "POST")
        if req.method == "POST":
            item = _json(req.body)
            if not isinstance(item.get("key"), str) or not isinstance(item.get("value"), str):
                raise HubError(400, "A variable needs a string key and value")
            repo["variables"][item["key"]] = {"value": item["value"], "description": item.get("description"),
                                              "updatedAt": _now()}
        return 200, {}, repo["variables"]

    def _secrets(self, req):
        repo, item = self._repo(req, write=True), _json(req.body)
        if not isinstance(item.get("key"), str) or not isinstance(item.get("value"), str):
            raise HubError(400, "A secret needs a string key and value")
        repo["secrets"][item["key"]] = item["value"]  # like the Hub, never answered back
        return 200, {}, {}

    def _runtime(self, req):
        repo = self._repo(req)
        files = repo["commits"][repo["refs"]["main"]]["files"]
        header = re.search(rb"^app_file:\s*(\S+)", files.get("README.md", b""), re.MULTILINE)
        app_file = header.group(1).decode() if header else "app.py"
        stage = "RUNNING" if app_file in files else "NO_APP_FILE"  # nothing is built or run here
        return 200, {}, {"stage": stage, "hardware": {"current": "cpu-basic", "requested": "cpu-basic"},
                         "gcTimeout": 172800, "storage": None, "replicas": {"current": 1, "requested": 1}}

    def _logs(self, req):
        repo = self._repo(req)
        line = (f"fake hub: a Space would now build commit {repo['refs']['main']} (sdk {repo['sdk']})"
                if req.groups["log"] == "build" else "fake hub: no app runs here")
        event = json.dumps({"data": line + "\n", "timestamp": _now()})
        return 200, {"Content-Type": "text/event-stream"}, f"data: {event}\n\n".encode()

    def _info_of(self, repo_id, repo, oid, blobs):
        commit, siblings = repo["commits"][oid], []
        for path, data in sorted(commit["files"].items()):
            sibling, entry = {"rfilename": path}, _file_entry(path, data)
            if blobs:
                sibling.update(size=len(data), blobId=entry["oid"])
                if "lfs" in entry:
                    lfs = entry["lfs"]
                    sibling["lfs"] = {"size": lfs["size"], "sha256": lfs["oid"], "pointerSize": lfs["pointerSize"]}
            siblings.append(sibling)
        return {"_id": hashlib.sha1(repo_id.encode()).hexdigest()[:24], "id": repo_id, "modelId": repo_id,
                "author": repo_id.split("/")[0] if "/" in repo_id else None, "sha": oid, "private": repo["private"],
                "lastModified": commit["date"], "createdAt": repo["created"], "disabled": False, "gated": False,
                "downloads": 0, "likes": 0, "tags": [], "siblings": siblings}

    def _listing(self, repo, oid, path, recursive):
        files = repo["commits"][oid]["files"]
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        if prefix and not any(p.startswith(prefix) for p in files):
            raise HubError(404, f"{path} does not exist on {oid}", "EntryNotFound")
        dirs, entries = set(), []
        for p in sorted(files):
            if p.startswith(prefix):
                parts = p[len(prefix) :].split("/")
                dirs.update(prefix + "/".join(parts[:i]) for i in range(1, len(parts)) if recursive or i == 1)
                if recursive or len(parts) == 1:
                    entries.append(_file_entry(p, files[p]))
        folders = [{"type": "directory", "path": d, "size": 0, "oid": hashlib.sha1(d.encode()).hexdigest()}
                   for d in sorted(dirs)]
        return folders + entries

    def _commit(self, req):
        repo, branch = self._repo(req, write=True), req.groups["rev"]
        if req.query.get("create_pr"):
            raise HubError(400, "This fake hub does not support pull requests")
        try:
            lines = [json.loads(line) for line in req.body.splitlines() if line.strip()]
        except ValueError:
            raise HubError(400, "Invalid NDJSON body") from None
        header = next((line.get("value") for line in lines if line.get("key") == "header"), None)
        if not isinstance(header, dict) or not header.get("summary"):
            raise HubError(400, "The commit needs a header line with a summary")
        if branch not in repo["refs"]:
            raise HubError(404, f"Invalid rev id: {branch}", "RevisionNotFound")
        head, parent = repo["refs"][branch], header.get("parentCommit")
        if parent and not head.startswith(parent):
            raise HubError(412, "A commit has happened since. Please refresh and try again.")
        files = dict(repo["commits"][head]["files"])
        for line in lines:
            key, value = line.get("key"), line.get("value") or {}
            if key == "file":
                raw = value["content"]  # huggingface_hub always sends base64
                files[value["path"]] = base64.b64decode(raw) if value.get("encoding") == "base64" else raw.encode()
            elif key == "lfsFile":
                data = self.lfs.get(value["oid"])
                if data is None or value.get("size", len(data)) != len(data):
                    raise HubError(422, f"LFS object {value['oid']} for {value['path']} was not uploaded")
                files[value["path"]] = data
            elif key != "header":
                raise HubError(400, f"Unknown commit line key: {key!r}")
        message = header["summary"] + (f"\n\n{header['description']}" if header.get("description") else "")
        oid = self._add_commit(req.key, branch, files, message)
        return 200, {}, {"success": True, "commitOid": oid, "commitUrl": f"{self.url}/{req.key}/commit/{oid}",
                         "pullRequestUrl": None}

    def _lfs_batch(self, req):
        self._repo(req, write=True)
        request = _json(req.body)
        if request.get("operation") != "upload":
            raise HubError(400, "This fake hub only supports LFS uploads")
        objects = []
        for obj in request.get("objects", []):
            item = {"oid": obj["oid"], "size": obj["size"], "authenticated": True}
            if obj["oid"] not in self.lfs:  # already stored objects get no actions
                self._pending_lfs[obj["oid"]] = obj["size"]
                item["actions"] = {"upload": {"href": f"{self.url}/lfs-upload/{obj['oid']}"},
                                   "verify": {"href": f"{self.url}/{req.key}.git/info/lfs/objects/verify"}}
            objects.append(item)
        return 200, {"Content-Type": "application/vnd.git-lfs+json"}, {"transfer": "basic", "objects": objects}

    def _lfs_verify(self, req):
        self._repo(req, write=True)
        request = _json(req.body)
        data = self.lfs.get(request.get("oid"))
        if data is None or len(data) != request.get("size"):
            raise HubError(404, f"LFS object {request.get('oid')} not found")
        return 200, {}, {"success": True}

    def _lfs_put(self, req):
        oid, body = req.groups["oid"], req.body
        size = self._pending_lfs.get(oid)
        if size is None:
            raise HubError(403, f"No upload was requested for LFS object {oid}")
        if len(body) != size or hashlib.sha256(body).hexdigest() != oid:
            raise HubError(400, f"Uploaded content does not match oid {oid} / size {size}")
        self.lfs[oid] = body
        del self._pending_lfs[oid]
        return 200, {"ETag": f'"{hashlib.md5(body).hexdigest()}"'}, b""

    def _resolve(self, req):
        repo, path, range_header = self._repo(req), req.groups["path"], req.headers.get("Range")
        oid = self._resolve_rev(repo, req.groups["rev"])
        data = repo["commits"][oid]["files"].get(path)
        if data is None:
            raise HubError(404, "Entry not found", "EntryNotFound", headers={"X-Repo-Commit": oid})
        headers = {"X-Repo-Commit": oid, "ETag": f'"{git_blob_oid(data)}"', "Accept-Ranges": "bytes",
                   "Content-Type": "application/octet-stream"}
        if is_lfs(path, data):
            sha = hashlib.sha256(data).hexdigest()
            headers.update({"ETag": f'"{sha}"', "X-Linked-Etag": f'"{sha}"', "X-Linked-Size": str(len(data))})
        if not range_header:
            return 200, headers, data
        match, n = re.fullmatch(r"bytes=(\d*)-(\d*)", range_header.strip()), len(data)
        if match is None or match.groups() == ("", ""):
            raise HubError(416, "Invalid range", headers={"Content-Range": f"bytes */{n}"})
        start, end = match.groups()
        start, end = (max(0, n - int(end)), n - 1) if start == "" else (int(start), min(int(end or n - 1), n - 1))
        if start >= n or start > end:
            raise HubError(416, "Range not satisfiable", headers={"Content-Range": f"bytes */{n}"})
        headers["Content-Range"] = f"bytes {start}-{end}/{n}"
        return 206, headers, data[start : end + 1]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # clients that hang up (timeouts) are not errors
        pass


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeHub/1.0"

    def log_message(self, format, *args):  # keep pytest output clean
        pass

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while (size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)) > 0:
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline().strip():  # trailers
                pass
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _dispatch(self) -> None:
        hub: FakeHub = self.server.hub
        split = urlsplit(self.path)
        with hub._lock:
            hub.requests.append((self.command, split.path))
            fail, delay = hub._fail, hub._delay
        try:
            body = self._read_body()
            if delay:
                time.sleep(delay)
            if fail is not None:
                raise HubError(fail, f"Fake hub: injected HTTP {fail}")
            with hub._lock:
                status, headers, payload = hub._route(self.command, split.path, parse_qs(split.query), body, self.headers)
        except HubError as err:
            status, payload = err.status, {"error": err.message, **err.extra}
            headers = {"X-Error-Message": err.message.encode("ascii", "replace").decode(), **err.headers}
            if err.code:
                headers["X-Error-Code"] = err.code
        except Exception as err:  # never let a malformed request kill the server
            status, headers, payload = 500, {}, {"error": f"Fake hub internal error: {err!r}"}
        self._send(status, headers, payload)

    def _send(self, status: int, headers: dict, payload) -> None:
        if isinstance(payload, (dict, list)):
            headers.setdefault("Content-Type", "application/json")
            payload = json.dumps(payload).encode()
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch
