"""The sandbox as a web app (Starlette), and `serve`, which runs it with uvicorn on 127.0.0.1.

This is not the Textual app; it is the ASGI application behind `ascms-tui sandbox`.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ..org_contract import OrgContract, default_contract
from .api import Api, Call, Reply
from .faults import Faults, FaultSpec, FaultSpecError
from .oauth import ORG_ID, ConnectedApp, OAuth
from .records import Org, SfError, ValidationRule
from .storage import Storage

LOOPBACK = "127.0.0.1"
MAX_BODY = 64 * 1024 * 1024
SESSION_INVALID = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
LIMIT_EXCEEDED = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
UNAVAILABLE = [{"message": "Server is unavailable; please try again later.", "errorCode": "SERVER_UNAVAILABLE"}]
DAILY_LIMIT = 15000  # requests a day, counted per UTC day (Salesforce counts over a rolling 24 hours)


class Sandbox:
    """Everything one running sandbox holds."""

    def __init__(self, data_dir: Path, *, token: str | None, faults: str = "", auto_approve: bool = False,
                 poll_interval: int = 5, contract: OrgContract | None = None, daily_limit: int = DAILY_LIMIT,
                 connected_app: ConnectedApp | None = None):
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.contract = contract or default_contract()
        self.storage = Storage(data_dir / "sandbox.sqlite3", self.contract)
        self.faults = Faults(FaultSpec.parse(faults))
        self.org = Org(self.storage, self.faults)
        self.daily_limit = daily_limit
        self.api = Api(self.org, self.usage)
        self.oauth = OAuth(self.storage, self.org.default_user, fixed_token=token, auto_approve=auto_approve,
                           poll_interval=poll_interval, app=connected_app or ConnectedApp())
        self.requests: Counter[str] = Counter()

    def count_request(self) -> int:
        """One more API request today; how many so far."""
        with self.storage.transaction():
            return self.storage.count_request(_utc_day())

    def usage(self) -> tuple[int, int]:
        """(requests used today, the daily limit) for /limits and Sforce-Limit-Info."""
        return self.storage.requests_on(_utc_day()), self.daily_limit

    def close(self) -> None:
        self.storage.close()

    def stats(self) -> dict[str, Any]:
        counts = self.storage.counts()
        return {
            "requests": {"total": sum(self.requests.values()), "by_endpoint": dict(sorted(self.requests.items()))},
            "subrequests": dict(sorted(self.api.subrequests.items())),
            "records": counts["live"],
            "deleted": counts["deleted"],
            "faults": {"spec": str(self.faults.spec), **self.faults.counts},
        }


def _utc_day() -> str:
    return time.strftime("%Y-%m-%d", time.gmtime())


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status,
                    headers=headers, media_type="application/json;charset=UTF-8")


def _reply(reply: Reply, headers: dict[str, str]) -> Response:
    headers = {**headers, **reply.headers}
    if reply.status == 204 or reply.body is None:
        return Response(status_code=reply.status, headers=headers)
    if isinstance(reply.body, bytes):
        return Response(reply.body, reply.status, headers=headers)
    return _json(reply.body, reply.status, headers)


def _instance_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _parse_json(raw: bytes) -> Any:
    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")

    return json.loads(raw.decode("utf-8"), parse_constant=refuse)


async def _body(request: Request) -> tuple[Any, Response | None]:
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        return None, _json([{"errorCode": "REQUEST_ENTITY_TOO_LARGE", "message": "The request body is too large"}],
                           413)
    raw = await request.body()
    if not raw.strip():
        return None, None
    try:
        return _parse_json(raw), None
    except json.JSONDecodeError as error:
        message = f"{error.msg} at [line:{error.lineno}, column:{error.colno}]"
    except (UnicodeDecodeError, ValueError) as error:
        message = str(error)
    return None, _json([{"errorCode": "JSON_PARSER_ERROR", "message": message}], 400)


# --- the REST API -----------------------------------------------------------------------------


async def data_api(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    faults = sandbox.faults
    method = request.method.upper()
    name, handler, version, parts = sandbox.api.resolve(method, request.url.path)
    sandbox.requests[name] += 1
    n = faults.next_request()
    used = sandbox.count_request()
    # REST API Developer Guide, "Limit Info Header": api-usage=used/limit for the org's daily requests.
    # The `limit=after:N` fault refuses without warning, as when the org's other users spend the budget.
    headers = {"Sforce-Limit-Info": f"api-usage={used}/{sandbox.daily_limit}"}
    refuse, lose = faults.draw_request()
    if faults.spec.latency_ms:
        await asyncio.sleep(faults.spec.latency_ms / 1000)
    if faults.limited(n) or used > sandbox.daily_limit:
        return _json(LIMIT_EXCEEDED, 403, headers)
    if faults.expires(n):
        sandbox.oauth.expire_access_tokens()
    user = sandbox.oauth.user_for(request.headers.get("authorization"))
    if user is None:
        return _json(SESSION_INVALID, 401, headers)
    if refuse:
        faults.counts["unavailable"] += 1
        return _json(UNAVAILABLE, 503, headers)
    body, problem = await _body(request) if method in ("POST", "PATCH", "PUT") else (None, None)
    if problem is not None:
        return problem
    call = Call(method, version, parts, dict(request.query_params),
                {k.lower(): v for k, v in request.headers.items()}, body, user)
    response = _reply(sandbox.api.call(handler, call), headers)
    if lose:
        # Committed above; now the client never hears back.
        faults.counts["lost"] += 1
        request.scope["sandbox.drop"]["drop"] = True
    return response


async def versions(request: Request) -> Response:
    return _json([{"label": "Spring '24", "url": "/services/data/v60.0", "version": "60.0"}])


# --- sign-in ---------------------------------------------------------------------------------


async def _form(request: Request) -> dict[str, str]:
    # Parsed by hand: Starlette's form parser needs python-multipart, and these are tiny bodies.
    form = dict(request.query_params)
    raw = await request.body()
    form.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    return form


async def token(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    sandbox.requests["POST /oauth2/token"] += 1
    status, body = sandbox.oauth.token(await _form(request), _instance_url(request))
    return _json(body, status, {"Cache-Control": "no-store"})


async def userinfo(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    sandbox.requests["GET /oauth2/userinfo"] += 1
    user = sandbox.oauth.user_for(request.headers.get("authorization"))
    if user is None:
        return _json({"error": "invalid_token", "error_description": "Invalid access token"}, 403)
    _, fields = sandbox.org.live(user)
    return _json({"user_id": user, "organization_id": ORG_ID, "name": fields.get("Name"),
                  "preferred_username": fields.get("Username"), "email": fields.get("Email")})


async def revoke(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    sandbox.requests["POST /oauth2/revoke"] += 1
    sandbox.oauth.revoke((await _form(request)).get("token", ""))
    return Response(status_code=200)


async def connect(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    if request.method == "GET":
        return HTMLResponse(sandbox.oauth.approval_page(request.query_params.get("user_code", "")))
    form = await _form(request)
    return HTMLResponse(sandbox.oauth.decide(form.get("user_code", ""), form.get("action") != "deny"))


async def home(request: Request) -> Response:
    return HTMLResponse(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>AS-CMS training sandbox</title></head>"
        "<body style='font-family: sans-serif; max-width: 40em; margin: 2em auto'><h1>AS-CMS training sandbox</h1>"
        "<p>A local stand-in for AS-CMS speaking Salesforce's REST API (v60.0) for ascms-tui training. "
        "Everything in it is invented.</p><p><a href='/setup/connect'>Approve an app's sign-in</a></p></body></html>"
    )


# --- the trainer's admin API -----------------------------------------------------------------


def _admin(handler):
    async def endpoint(request: Request) -> Response:
        sandbox: Sandbox = request.app.state.sandbox
        if sandbox.oauth.user_for(request.headers.get("authorization")) is None:
            return _json(SESSION_INVALID, 401)
        body, problem = await _body(request) if request.method == "POST" else (None, None)
        if problem is not None:
            return problem
        if request.method == "POST" and not isinstance(body, dict):
            return _json({"error": "send a JSON object"}, 400)
        try:
            return _json(handler(sandbox, body or {}))
        except SfError as error:
            return _json(error.body(), max(error.status, 400))
        except _AdminError as error:
            return _json({"error": str(error)}, 400)

    return endpoint


class _AdminError(Exception):
    pass


def _need(body: dict, key: str, kind: type) -> Any:
    value = body.get(key)
    if not isinstance(value, kind):
        raise _AdminError(f"{key!r} is required ({'an object' if kind is dict else 'a string'})")
    return value


def _acting_user(sandbox: Sandbox, body: dict) -> str:
    """Central changes are made by the school contact unless `by` names another sandbox user."""
    by = body.get("by")
    if by is None:
        return sandbox.org.school_user
    for name, user_id in sandbox.org.users.items():
        if by in (name, user_id):
            return user_id
    raise _AdminError(f"'by' must be one of the sandbox users: {', '.join(sandbox.org.users)}")


def _late_by(body: dict) -> float:
    """`late_by`: seconds in the past to stamp the change, as a transaction that commits late is stamped."""
    late = body.get("late_by", 0)
    if isinstance(late, bool) or not isinstance(late, (int, float)) or not 0 <= late <= 3600:
        raise _AdminError("'late_by' is a number of seconds from 0 to 3600")
    return float(late)


def central_edit(sandbox: Sandbox, body: dict) -> dict:
    user = _acting_user(sandbox, body)
    with sandbox.storage.transaction():
        record_id = sandbox.org.update(_need(body, "id", str), _need(body, "fields", dict), user=user, checks=False,
                                       sobject=_need(body, "sobject", str), late_by=_late_by(body))
        _, fields = sandbox.org.live(record_id)
    return {"id": record_id, "success": True, "SystemModstamp": fields["SystemModstamp"]}


def central_create(sandbox: Sandbox, body: dict) -> dict:
    user = _acting_user(sandbox, body)
    sobject, fields = _need(body, "sobject", str), dict(_need(body, "fields", dict))
    with sandbox.storage.transaction():
        described = sandbox.org.described(sobject)
        if described.has("OwnerId") and not any(k.lower() == "ownerid" for k in fields):
            fields["OwnerId"] = sandbox.org.default_user  # new work lands in the case manager's caseload
        record_id = sandbox.org.create(described.name, fields, user=user, checks=False, late_by=_late_by(body))
    return {"id": record_id, "success": True}


def central_delete(sandbox: Sandbox, body: dict) -> dict:
    with sandbox.storage.transaction():
        deleted = sandbox.org.delete(_need(body, "id", str), checks=False, sobject=_need(body, "sobject", str),
                                     late_by=_late_by(body))
    return {"deleted": deleted, "success": True}


def central_archive(sandbox: Sandbox, body: dict) -> dict:
    """What Salesforce's archiving job does to an Event over a year old or an old closed Task."""
    with sandbox.storage.transaction():
        sandbox.org.archive(_need(body, "id", str))
    return {"success": True}


def validation_rules(sandbox: Sandbox, body: dict) -> dict:
    if "rules" in body:
        if not isinstance(body["rules"], list):
            raise _AdminError("'rules' is a list of validation rules")
        try:
            rules = [ValidationRule(spec) for spec in body["rules"]]
        except ValueError as error:
            raise _AdminError(str(error)) from None
        for rule in rules:
            described = sandbox.org.described(rule.object)
            if not described.has(rule.field):
                raise _AdminError(f"{rule.object} has no field {rule.field}")
        sandbox.org.validation_rules = rules
    return {"rules": [rule.to_json() for rule in sandbox.org.validation_rules]}


def stats(sandbox: Sandbox, body: dict) -> dict:
    return sandbox.stats()


def users(sandbox: Sandbox, body: dict) -> dict:
    return {"users": sandbox.org.users, "default": sandbox.org.default_user}


def faults(sandbox: Sandbox, body: dict) -> dict:
    if "spec" in body:
        try:
            sandbox.faults.reset(FaultSpec.parse(str(body["spec"])))
        except FaultSpecError as error:
            raise _AdminError(str(error)) from None
    return {"spec": str(sandbox.faults.spec), "requests": sandbox.faults.requests, **sandbox.faults.counts}


def approve(sandbox: Sandbox, body: dict) -> dict:
    approved = sandbox.storage.decide_user_code(_need(body, "user_code", str).strip().upper(),
                                                None if body.get("deny") else sandbox.org.default_user)
    if not approved:
        raise _AdminError("that user_code is not waiting for approval")
    return {"success": True}


# --- assembling and serving --------------------------------------------------------------------


class _DropConnections:
    """Lets an endpoint have its connection closed without any reply (the `lose` fault).

    The response is swallowed and uvicorn's transport aborted, so the client sees the
    connection drop with no status line at all, as after a network failure.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        box = scope["sandbox.drop"] = {"drop": False}

        async def guarded(message):
            if not box["drop"]:
                await send(message)

        await self.app(scope, receive, guarded)
        if box["drop"]:
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            if transport is not None:
                transport.abort()
                for _ in range(3):
                    await asyncio.sleep(0)  # let uvicorn see the connection is gone
            else:  # another server: start a reply and never finish it
                await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})


def create_app(sandbox: Sandbox) -> _DropConnections:
    methods = ["GET", "POST", "PATCH", "DELETE", "PUT", "HEAD"]
    routes = [
        Route("/", home),
        Route("/services/data", versions),
        Route("/services/data/", versions),
        Route("/services/data/{rest:path}", data_api, methods=methods),
        Route("/services/oauth2/token", token, methods=["POST"]),
        Route("/services/oauth2/userinfo", userinfo, methods=["GET", "POST"]),
        Route("/services/oauth2/revoke", revoke, methods=["POST"]),
        Route("/setup/connect", connect, methods=["GET", "POST"]),
        Route("/sandbox/central-edit", _admin(central_edit), methods=["POST"]),
        Route("/sandbox/central-create", _admin(central_create), methods=["POST"]),
        Route("/sandbox/central-delete", _admin(central_delete), methods=["POST"]),
        Route("/sandbox/central-archive", _admin(central_archive), methods=["POST"]),
        Route("/sandbox/validation-rules", _admin(validation_rules), methods=["GET", "POST"]),
        Route("/sandbox/stats", _admin(stats), methods=["GET"]),
        Route("/sandbox/users", _admin(users), methods=["GET"]),
        Route("/sandbox/faults", _admin(faults), methods=["GET", "POST"]),
        Route("/sandbox/approve", _admin(approve), methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = sandbox
    return _DropConnections(app)


def loopback_socket(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1 only: the sandbox is never reachable from the network."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((LOOPBACK, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    return sock


def serve(sandbox: Sandbox, sock: socket.socket, *, announce: str = "", out: TextIO = sys.stdout) -> None:
    """Serve until interrupted; `announce` is printed once the socket is listening."""
    import uvicorn

    host, _port = sock.getsockname()[:2]
    if host != LOOPBACK:
        raise ValueError("the sandbox serves on 127.0.0.1 only")
    config = uvicorn.Config(create_app(sandbox), http="h11", ws="none", lifespan="off", log_level="warning",
                            access_log=False, timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    if announce:
        out.write(announce)
        out.flush()
    try:
        server.run(sockets=[sock])
    finally:
        sandbox.close()
