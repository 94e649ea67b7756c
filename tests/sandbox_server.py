"""A real training sandbox for tests: uvicorn in a subprocess on a free 127.0.0.1 port.

Fixtures (registered through tests/conftest.py):

- ``sandbox``: a fresh sandbox (empty data dir, auto-approved sign-ins, no faults) for one test.
- ``sandbox_factory``: ``sandbox_factory(faults="seed=7,lose=0.1", auto_approve=True, data_dir=None,
  seed=None, org=None, daily_limit=None, client_id=None, client_secret=None)`` starts more, each stopped
  at the end of the test (``org``: a contract file for the sandbox to play, see ``org_file``).
- ``module_sandbox``: one sandbox shared by the tests of a module, for tests that each use records
  of their own (faster than one per test).

The object they give has ``base_url``, ``token``, ``data_dir``, ``api(method, path, body)``,
``query(soql)`` / ``query_all(soql)``, ``central_create/edit/delete``, ``set_faults``,
``stats()``, ``users()``, ``device_login()``, ``restart()`` (same data dir and port) and
``stop()``. HTTP goes over real sockets with the standard library only.
"""

from __future__ import annotations

import http.client
import json
import os
import select
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "test-sandbox-token"
VERSION = "v60.0"
START_SECONDS = 20  # generous for a loaded CI machine; a start takes ~0.4 s


class SandboxError(AssertionError):
    pass


class SandboxServer:
    def __init__(self, data_dir: Path, *, token: str = TOKEN, faults: str = "", auto_approve: bool = True,
                 poll_interval: int = 0, seed: str | None = None, org: Path | None = None,
                 daily_limit: int | None = None, client_id: str | None = None, client_secret: str | None = None):
        self.data_dir = Path(data_dir)
        self.org = org
        self.daily_limit = daily_limit
        self.client_id = client_id
        self.client_secret = client_secret
        self.token = token
        self.faults = faults
        self.auto_approve = auto_approve
        self.poll_interval = poll_interval
        self.seed = seed
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.base_url = ""
        self.start()

    # --- process ---------------------------------------------------------------------------

    def start(self) -> None:
        command = [sys.executable, "-m", "ascms_tui.sandbox", "--port", str(self.port), "--data",
                   str(self.data_dir), "--token", self.token, "--poll-interval", str(self.poll_interval)]
        if self.faults:
            command += ["--faults", self.faults]
        if self.auto_approve:
            command.append("--auto-approve")
        if self.seed:
            command += ["--seed", self.seed]
        if self.org:
            command += ["--org", str(self.org)]
        if self.daily_limit:
            command += ["--daily-limit", str(self.daily_limit)]
        if self.client_id:
            command += ["--client-id", self.client_id]
        if self.client_secret:
            command += ["--client-secret", self.client_secret]
        self.log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115 - open while the server runs
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=self.log,
                                        env={**os.environ, "PYTHONUNBUFFERED": "1"})
        line = self._first_line()
        if "listening on " not in line:
            self.stop()
            raise SandboxError(f"the sandbox did not start: {line!r}; log: {self.log_text()}")
        self.base_url = line.split("listening on ", 1)[1].strip()
        self.port = int(self.base_url.rsplit(":", 1)[1])

    def _first_line(self) -> str:
        deadline = time.monotonic() + START_SECONDS
        stdout = self.process.stdout
        buffer = b""
        while b"\n" not in buffer and time.monotonic() < deadline:
            ready, _, _ = select.select([stdout], [], [], 0.05)
            if ready:
                chunk = os.read(stdout.fileno(), 4096)
                if not chunk:
                    break
                buffer += chunk
            elif self.process.poll() is not None:
                break
        return buffer.decode("utf-8", "replace").split("\n", 1)[0]

    def log_text(self) -> str:
        return (self.data_dir / "server.log").read_text(encoding="utf-8", errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process.stdout.close()
        self.log.close()
        self.process = None

    def restart(self, *, faults: str | None = None) -> None:
        """Stop and start again on the same data dir and port (a clean shutdown)."""
        self.stop()
        if faults is not None:
            self.faults = faults
        self.start()

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        self.process.kill()
        self.process.wait(10)
        self.process.stdout.close()
        self.log.close()
        self.process = None

    # --- HTTP ------------------------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None, *, token: str | None = None,
                headers: dict[str, str] | None = None, form: dict[str, str] | None = None,
                raw: bytes | None = None, timeout: float = 30) -> tuple[int, Any, dict[str, str]]:
        """(status, parsed JSON body or text or None, headers) of one request on a new connection."""
        all_headers = {"Authorization": f"Bearer {self.token if token is None else token}"}
        if token == "":
            del all_headers["Authorization"]
        data = raw
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=data, headers=all_headers)
            response = connection.getresponse()
            payload = response.read()
            reply_headers = {k.lower(): v for k, v in response.getheaders()}
        finally:
            connection.close()
        content_type = reply_headers.get("content-type", "")
        if not payload:
            parsed = None
        elif content_type.startswith("application/json"):
            parsed = json.loads(payload)
        elif content_type.startswith("text/"):
            parsed = payload.decode()
        else:
            parsed = payload
        return response.status, parsed, reply_headers

    def api(self, method: str, path: str, body: Any = None, **options) -> tuple[int, Any]:
        """A REST call; `path` is relative to /services/data/v60.0/ unless it starts with '/'."""
        if not path.startswith("/"):
            path = f"/services/data/{VERSION}/{path}"
        status, parsed, _ = self.request(method, path, body, **options)
        return status, parsed

    def query(self, soql: str, *, deleted: bool = False, **options) -> dict:
        """One page; `deleted` uses queryAll (deleted and archived records too)."""
        resource = "queryAll" if deleted else "query"
        status, body = self.api("GET", f"{resource}?" + urllib.parse.urlencode({"q": soql}), **options)
        if status != 200:
            raise SandboxError(f"query failed ({status}): {body}")
        return body

    def query_all(self, soql: str, *, deleted: bool = False) -> list[dict]:
        page = self.query(soql, deleted=deleted)
        records = list(page["records"])
        while not page["done"]:
            status, page = self.api("GET", page["nextRecordsUrl"])
            if status != 200:
                raise SandboxError(f"query paging failed ({status}): {page}")
            records.extend(page["records"])
        return records

    def _admin(self, method: str, name: str, body: Any = None) -> Any:
        status, parsed, _ = self.request(method, f"/sandbox/{name}", body)
        if status != 200:
            raise SandboxError(f"/sandbox/{name} failed ({status}): {parsed}")
        return parsed

    def central_create(self, sobject: str, fields: dict, by: str | None = None) -> str:
        body = {"sobject": sobject, "fields": fields, **({"by": by} if by else {})}
        return self._admin("POST", "central-create", body)["id"]

    def central_edit(self, sobject: str, record_id: str, fields: dict, by: str | None = None,
                     late_by: float = 0) -> dict:
        body = {"sobject": sobject, "id": record_id, "fields": fields, **({"by": by} if by else {}),
                **({"late_by": late_by} if late_by else {})}
        return self._admin("POST", "central-edit", body)

    def central_delete(self, sobject: str, record_id: str) -> list[str]:
        return self._admin("POST", "central-delete", {"sobject": sobject, "id": record_id})["deleted"]

    def central_archive(self, record_id: str) -> None:
        self._admin("POST", "central-archive", {"id": record_id})

    def set_validation_rules(self, rules: list[dict]) -> dict:
        return self._admin("POST", "validation-rules", {"rules": rules})

    def set_faults(self, spec: str) -> dict:
        return self._admin("POST", "faults", {"spec": spec})

    def stats(self) -> dict:
        return self._admin("GET", "stats")

    def users(self) -> dict:
        return self._admin("GET", "users")

    def device_login(self, client_id: str = "ascms-tui") -> dict:
        """Sign in through the device flow (approving through the admin API when needed); the tokens."""
        status, started, _ = self.request("POST", "/services/oauth2/token", token="",
                                          form={"response_type": "device_code", "client_id": client_id})
        if status != 200:
            raise SandboxError(f"device flow did not start ({status}): {started}")
        if not self.auto_approve:
            self._admin("POST", "approve", {"user_code": started["user_code"]})
        status, tokens, _ = self.request("POST", "/services/oauth2/token", token="",
                                         form={"grant_type": "device", "client_id": client_id,
                                               "code": started["device_code"]})
        if status != 200:
            raise SandboxError(f"device flow did not finish ({status}): {tokens}")
        return tokens


def org_file(folder: Path, *, extra_objects: list[dict] = (), change=None) -> Path:
    """A contract file for `--org`: the app's own contract with objects added, or changed by `change(data)`."""
    from ascms_tui.org_contract import default_contract

    data = {"apiVersion": default_contract().api_version,
            "sobjects": [{**o.describe, "fields": [dict(f.describe) for f in o.fields.values()]}
                         for o in default_contract().objects.values()]}
    data["sobjects"] += list(extra_objects)
    if change is not None:
        change(data)
    path = Path(folder) / "org.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def field(name: str, type_: str = "string", **attributes) -> dict:
    """One describe-shaped field for a test contract; createable, updateable and nillable unless said."""
    described = {"name": name, "label": name, "type": type_, "length": 255 if type_ == "string" else 0,
                 "precision": 18 if type_ == "double" else 0, "scale": 0, "nillable": True, "createable": True,
                 "updateable": True, "defaultedOnCreate": False, "externalId": False, "unique": False,
                 "restrictedPicklist": False, "picklistValues": [], "referenceTo": [], "relationshipName": None,
                 "cascadeDelete": False, "autoNumber": False}
    described.update(attributes)
    return described


def custom_object(name: str, prefix: str, fields: list[dict]) -> dict:
    """A custom object for a test contract, with the system fields every object has."""
    system = [field("Id", "id", createable=False, updateable=False, nillable=False, defaultedOnCreate=True),
              field("OwnerId", "reference", referenceTo=["User"], relationshipName="Owner", defaultedOnCreate=True),
              *(field(n, "datetime", createable=False, updateable=False, nillable=False, defaultedOnCreate=True)
                for n in ("CreatedDate", "LastModifiedDate", "SystemModstamp")),
              *(field(n, "reference", createable=False, updateable=False, referenceTo=["User"])
                for n in ("CreatedById", "LastModifiedById")),
              field("IsDeleted", "boolean", createable=False, updateable=False, nillable=False,
                    defaultedOnCreate=True)]
    return {"name": name, "label": name, "keyPrefix": prefix, "custom": True, "createable": True,
            "updateable": True, "deletable": True, "queryable": True, "fields": system + fields}


@pytest.fixture
def sandbox_factory():
    started: list[SandboxServer] = []
    folders: list[tempfile.TemporaryDirectory] = []

    def start(*, data_dir: Path | None = None, **options) -> SandboxServer:
        if data_dir is None:
            folder = tempfile.TemporaryDirectory(prefix="ascms-sandbox-")
            folders.append(folder)
            data_dir = Path(folder.name)
        server = SandboxServer(data_dir, **options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
    for folder in folders:
        folder.cleanup()


@pytest.fixture
def sandbox(sandbox_factory) -> SandboxServer:
    return sandbox_factory()


@pytest.fixture(scope="module")
def module_sandbox(tmp_path_factory) -> SandboxServer:
    server = SandboxServer(tmp_path_factory.mktemp("sandbox"))
    yield server
    server.stop()
