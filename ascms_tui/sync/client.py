"""An HTTP client for AS-CMS's Salesforce REST API: retries, token refresh, limits, TLS.

- Transient failures (connection errors, timeouts, a response lost after the
  request went, 5xx) are retried with exponential backoff and jitter, but only
  for requests that are safe to repeat. A create without an upsert key whose
  outcome is unknown raises OutcomeUnknown instead: the caller reconciles
  with the server before sending it again.
- 401 INVALID_SESSION_ID refreshes the access token once and retries.
- 403 REQUEST_LIMIT_EXCEEDED stops the run (LimitReached); the queue is kept.
- Certificates are always verified (optionally against a given CA bundle);
  plain http:// is accepted only for loopback addresses (the training sandbox).
Tokens never appear in an exception message or a repr.
"""

from __future__ import annotations

import ipaddress
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import urlsplit

import httpx

from ..text import clean_text

TRANSIENT_RECORD_ERRORS = frozenset({
    "UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "ALL_OR_NONE_OPERATION_ROLLED_BACK", "REQUEST_RUNNING_TOO_LONG",
    "QUERY_TIMEOUT",
})


class SyncStopped(Exception):
    """The run cannot go on; the queue is kept as it is. `reason` says why, for the exit status."""

    reason = "error"


class Offline(SyncStopped):
    reason = "offline"


class NotSignedIn(SyncStopped):
    reason = "signed_out"


class LimitReached(SyncStopped):
    reason = "limit"


class OutcomeUnknown(Exception):
    """A request that must not simply be repeated went out and no answer came back."""


class InsecureAddress(ValueError):
    pass


def check_instance_url(url: str) -> str:
    """`url` without a trailing slash, if it is https, or http to a loopback address."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InsecureAddress(f"{url!r} is not an address like https://example.my.salesforce.com")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise InsecureAddress(
            f"{parts.hostname} must be reached over https://; plain http:// is only for the local sandbox (127.0.0.1)"
        )
    return url.strip().rstrip("/")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class Session:
    """Who we are at AS-CMS. Secrets are kept out of repr()."""

    instance_url: str
    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    client_id: str = "ascms-tui"
    user_id: str | None = None
    ca_bundle: str | None = None
    token_url: str | None = None  # where refreshes go (the sign-in address)

    def to_json(self) -> dict[str, Any]:
        return {"instance_url": self.instance_url, "access_token": self.access_token,
                "refresh_token": self.refresh_token, "client_id": self.client_id, "user_id": self.user_id,
                "ca_bundle": self.ca_bundle, "token_url": self.token_url}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Session:
        return cls(**{k: data.get(k) for k in ("instance_url", "access_token", "refresh_token", "user_id",
                                                "ca_bundle", "token_url")}, client_id=data.get("client_id") or "ascms-tui")


@dataclass
class Response:
    status: int
    body: Any


def tls_verify(ca_bundle: str | None) -> ssl.SSLContext | bool:
    """Certificate verification is never off; a provider's own CA bundle may be added."""
    if ca_bundle:
        return ssl.create_default_context(cafile=ca_bundle)
    return True


def error_code(body: Any) -> str | None:
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return body[0].get("errorCode")
    if isinstance(body, dict):
        return body.get("errorCode") or body.get("error")
    return None


def error_text(body: Any) -> str:
    """The server's message as one line of clean text (it is untrusted)."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        item = body[0]
        text = f"{item.get('errorCode') or item.get('statusCode') or 'ERROR'}: {item.get('message', '')}"
    elif isinstance(body, dict):
        text = f"{body.get('error') or body.get('errorCode') or 'ERROR'}: {body.get('error_description') or body.get('message', '')}"
    else:
        text = str(body)[:300]
    return clean_text(text).replace("\n", " ").strip()


class SalesforceClient:
    def __init__(self, session: Session, *, api_version: str = "v60.0", timeout: float = 60.0,
                 max_tries: int = 7, backoff: float = 0.5, backoff_cap: float = 20.0,
                 on_refresh: Callable[[Session], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None,
                 transport: httpx.BaseTransport | None = None):
        self.session = session
        self.session.instance_url = check_instance_url(session.instance_url)
        self.api = f"/services/data/{api_version}"
        self.max_tries, self.backoff, self.backoff_cap = max_tries, backoff, backoff_cap
        self.on_refresh = on_refresh
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.requests = 0
        self._http = httpx.Client(verify=tls_verify(session.ca_bundle), timeout=httpx.Timeout(timeout, connect=10.0),
                                  follow_redirects=False, transport=transport,
                                  headers={"Accept": "application/json", "User-Agent": "ascms-tui"})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the REST calls the engine uses -------------------------------------------------

    def query(self, soql: str, *, batch_size: int | None = None) -> Any:
        """Every page of a SOQL query, one page (a list of records) at a time."""
        headers = {"Sforce-Query-Options": f"batchSize={batch_size}"} if batch_size else None
        response = self.request("GET", f"{self.api}/query", params={"q": soql}, headers=headers)
        while True:
            self._expect_ok(response, "query")
            yield response.body.get("records", [])
            next_url = response.body.get("nextRecordsUrl")
            if response.body.get("done", True) or not next_url:
                return
            response = self.request("GET", next_url, headers=headers)

    def query_all(self, soql: str) -> list[dict[str, Any]]:
        return [record for page in self.query(soql) for record in page]

    def _expect_ok(self, response: Response, what: str) -> None:
        if response.status >= 400:
            raise SyncStopped(f"AS-CMS refused the {what}: {error_text(response.body)}")

    # -- one request, with the retry rules ---------------------------------------------------

    def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None,
                headers: dict | None = None, idempotent: bool = True) -> Response:
        url = path if path.startswith("http") else self.session.instance_url + path
        refreshed = False
        last_problem = ""
        tries = 0
        while tries < self.max_tries:
            tries += 1
            all_headers = {"Authorization": f"Bearer {self.session.access_token}", **(headers or {})}
            self.requests += 1
            try:
                raw = self._http.request(method, url, json=json, params=params, headers=all_headers)
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                last_problem = _describe(error)  # never reached the server: safe to send again
            except httpx.RequestError as error:
                if not idempotent:
                    raise OutcomeUnknown(_describe(error)) from None
                last_problem = _describe(error)
            else:
                body = _body(raw)
                code = error_code(body)
                if raw.status_code == 401:
                    if refreshed or not self._refresh():
                        raise NotSignedIn("AS-CMS did not accept the sign-in; run 'ascms-tui login' again")
                    refreshed = True
                    tries -= 1  # a refresh is not a failed try
                    continue
                if raw.status_code == 403 and code == "REQUEST_LIMIT_EXCEEDED":
                    raise LimitReached("AS-CMS's daily API request limit is reached; the queue is kept for later")
                if raw.status_code >= 500:
                    if not idempotent:
                        raise OutcomeUnknown(f"HTTP {raw.status_code} {error_text(body)}")
                    last_problem = f"HTTP {raw.status_code} {error_text(body)}"
                else:
                    return Response(raw.status_code, body)
            if tries < self.max_tries:
                self.sleep(self.delay(tries))
        raise Offline(f"AS-CMS did not answer after {self.max_tries} tries ({last_problem})")

    def delay(self, attempt: int) -> float:
        """Exponential backoff with jitter: about base * 2^(attempt-1), never above the cap."""
        ceiling = min(self.backoff_cap, self.backoff * 2 ** (attempt - 1))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def _refresh(self) -> bool:
        session = self.session
        if not session.refresh_token:
            return False
        token_url = (session.token_url or session.instance_url) + "/services/oauth2/token"
        self.requests += 1
        try:
            raw = self._http.post(token_url, data={"grant_type": "refresh_token", "refresh_token": session.refresh_token,
                                                   "client_id": session.client_id})
        except httpx.TransportError as error:
            raise Offline(f"AS-CMS's sign-in service did not answer ({_describe(error)})") from None
        body = _body(raw)
        if raw.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
            return False
        session.access_token = body["access_token"]
        if body.get("refresh_token"):
            session.refresh_token = body["refresh_token"]
        if body.get("instance_url"):
            session.instance_url = check_instance_url(body["instance_url"])
        if self.on_refresh is not None:
            self.on_refresh(session)
        return True


def _body(raw: httpx.Response) -> Any:
    if not raw.content:
        return None
    try:
        return raw.json()
    except ValueError:
        return raw.text[:500]


def _describe(error: Exception) -> str:
    # The class name and message only: httpx messages carry no headers, so no token.
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
