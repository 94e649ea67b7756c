"""An HTTP client for AS-CMS's Salesforce REST API: retries, token refresh, limits, TLS.

- Transient failures (connection errors, timeouts, a response lost after the
  request went, 5xx) are retried with exponential backoff and jitter, but only
  for requests that are safe to repeat. A create without an upsert key whose
  outcome is unknown raises OutcomeUnknown instead: the caller reconciles
  with the server before sending it again.
- 401 INVALID_SESSION_ID refreshes the access token once and retries.
- 403 REQUEST_LIMIT_EXCEEDED stops the run (LimitReached); the queue is kept.
  Every answer's `Sforce-Limit-Info: api-usage=N/M` is read, and the run stops
  before the org's daily budget runs out (a reserve is left for the org's other
  users and integrations): LimitReached again, exit 2.
- Certificates are always verified (optionally against a given CA bundle);
  plain http:// is accepted only for loopback addresses (the training sandbox).
Tokens never appear in an exception message or a repr.
"""

from __future__ import annotations

import ipaddress
import random
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Self
from urllib.parse import urlencode, urlsplit

import httpx

from ..text import clean_text

COMPOSITE_LIMIT = 25  # subrequests in one Composite request...
COMPOSITE_HEAVY_LIMIT = 5  # ...of which at most 5 sObject Collections or queries (REST API Developer Guide, "Composite")
LIMIT_RESERVE = 0.02  # stop with 2% of the org's daily API requests left...
MIN_RESERVE = 20  # ...and never with fewer than 20
_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")
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
    # Only when the Connected App requires its secret for refreshes (docs/org-setup.md).
    client_secret: str | None = field(default=None, repr=False)
    user_id: str | None = None
    ca_bundle: str | None = None
    token_url: str | None = None  # where refreshes go (the sign-in address)

    def to_json(self) -> dict[str, Any]:
        return {"instance_url": self.instance_url, "access_token": self.access_token,
                "refresh_token": self.refresh_token, "client_id": self.client_id,
                "client_secret": self.client_secret, "user_id": self.user_id,
                "ca_bundle": self.ca_bundle, "token_url": self.token_url}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Session:
        return cls(**{k: data.get(k) for k in ("instance_url", "access_token", "refresh_token", "user_id",
                                                "ca_bundle", "token_url", "client_secret")},
                   client_id=data.get("client_id") or "ascms-tui")


@dataclass
class Response:
    status: int
    body: Any


@dataclass
class QueryPage:
    records: list[dict[str, Any]]
    next_url: str | None  # None when this was the last page
    asked_at: datetime | None = None  # AS-CMS's clock when the query ran, at the latest

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
                 limit_reserve: float = LIMIT_RESERVE):
        self.session = session
        self.limit_reserve = limit_reserve
        self.api_usage: tuple[int, int] | None = None  # (used, daily limit) from the last Sforce-Limit-Info
        # AS-CMS's clock when the last answered request went out, at the latest: its Date header less the
        # time the request took. A lower bound of when a query's snapshot was taken.
        self.server_time: datetime | None = None
        self.session.instance_url = check_instance_url(session.instance_url)
        self.api = f"/services/data/{api_version}"
        self.max_tries, self.backoff, self.backoff_cap = max_tries, backoff, backoff_cap
        self.on_refresh = on_refresh
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.requests = 0
        self._http = httpx.Client(verify=tls_verify(session.ca_bundle), timeout=httpx.Timeout(timeout, connect=10.0),
                                  follow_redirects=False,
                                  headers={"Accept": "application/json", "User-Agent": "ascms-tui"})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the REST calls the engine uses -------------------------------------------------

    def query(self, soql: str, *, batch_size: int | None = None, include_deleted: bool = False) -> Any:
        """Every page of a SOQL query, one page (a list of records) at a time.

        `include_deleted` uses queryAll: deleted records (IsDeleted) and archived Events and
        Tasks come too (REST API Developer Guide, "Execute a SOQL Query that Includes Deleted Items").
        """
        headers = {"Sforce-Query-Options": f"batchSize={batch_size}"} if batch_size else None
        resource = "queryAll" if include_deleted else "query"
        response = self.request("GET", f"{self.api}/{resource}", params={"q": soql}, headers=headers)
        yield from self._pages(response.status, response.body, headers)

    def _pages(self, status: int, body: Any, headers: dict | None = None) -> Any:
        """This answer's records, then each later page's (through nextRecordsUrl)."""
        while True:
            self._expect_ok(Response(status, body), "query")
            yield body.get("records", [])
            next_url = body.get("nextRecordsUrl")
            if body.get("done", True) or not next_url:
                return
            response = self.request("GET", next_url, headers=headers)
            status, body = response.status, response.body

    def _later_pages(self, next_url: str | None) -> list[dict[str, Any]]:
        if not next_url:
            return []
        response = self.request("GET", next_url)
        return [record for page in self._pages(response.status, response.body) for record in page]

    def query_all(self, soql: str, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        return [record for page in self.query(soql, include_deleted=include_deleted) for record in page]

    def queries(self, soqls: list[str], *, include_deleted: bool = False) -> list[list[dict[str, Any]]]:
        """Several queries in one Composite request (one API call); any later pages fetched after."""
        return [[*page.records, *self._later_pages(page.next_url)]
                for page in self.first_pages(soqls, include_deleted=include_deleted)]

    def first_pages(self, soqls: list[str], *, include_deleted: bool = False) -> list[QueryPage]:
        """The first page of each query, asked five at a time in Composite requests (one API call each)."""
        pages: list[QueryPage] = []
        for start in range(0, len(soqls), COMPOSITE_HEAVY_LIMIT):
            pages += self._first_pages(soqls[start:start + COMPOSITE_HEAVY_LIMIT], include_deleted)
        return pages

    def _first_pages(self, soqls: list[str], include_deleted: bool) -> list[QueryPage]:
        resource = "queryAll" if include_deleted else "query"
        subrequests = [{"method": "GET", "url": f"{self.api}/{resource}?{urlencode({'q': soql})}",
                        "referenceId": f"q{n}"} for n, soql in enumerate(soqls)]
        response = self.request("POST", f"{self.api}/composite", json={"compositeRequest": subrequests})
        self._expect_ok(response, "query")
        answers = response.body.get("compositeResponse") if isinstance(response.body, dict) else None
        if not isinstance(answers, list) or len(answers) != len(soqls):
            raise SyncStopped("AS-CMS's answer to a query did not match the request")
        pages = []
        for answer in answers:
            body = answer.get("body")
            self._expect_ok(Response(answer.get("httpStatusCode", 500), body), "query")
            more = body.get("nextRecordsUrl") if not body.get("done", True) else None
            pages.append(QueryPage(body.get("records", []), more, self.server_time))
        return pages

    def _expect_ok(self, response: Response, what: str) -> None:
        if response.status >= 400:
            raise SyncStopped(f"AS-CMS refused the {what}: {error_text(response.body)}")

    # -- one request, with the retry rules ---------------------------------------------------

    def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None,
                headers: dict | None = None, idempotent: bool = True, binary: bool = False) -> Response:
        """One request with the retry rules; `binary` keeps a 2xx body as bytes (a file's content)."""
        url = path if path.startswith("http") else self.session.instance_url + path
        refreshed = False
        last_problem = ""
        tries = 0
        while tries < self.max_tries:
            tries += 1
            self._check_budget()
            all_headers = {"Authorization": f"Bearer {self.session.access_token}", **(headers or {})}
            self.requests += 1
            sent = time.monotonic()
            try:
                raw = self._http.request(method, url, json=json, params=params, headers=all_headers)
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                last_problem = _describe(error)  # never reached the server: safe to send again
            except httpx.RequestError as error:
                if not idempotent:
                    raise OutcomeUnknown(_describe(error)) from None
                last_problem = _describe(error)
            else:
                body = raw.content if binary and raw.status_code < 300 else _body(raw)
                code = error_code(body)
                if raw.status_code == 401:
                    if refreshed or not self._refresh():
                        raise NotSignedIn("AS-CMS did not accept the sign-in; run 'ascms-tui login' again")
                    refreshed = True
                    tries -= 1  # a refresh is not a failed try
                    continue
                self._note_usage(raw.headers.get("Sforce-Limit-Info"))
                answered = _http_date(raw.headers.get("Date"))
                if answered is not None:  # at the latest when the request reached AS-CMS
                    self.server_time = answered - timedelta(seconds=time.monotonic() - sent)
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

    def _note_usage(self, header: str | None) -> None:
        match = _USAGE.search(header or "")
        if match:
            self.api_usage = (int(match.group(1)), int(match.group(2)))

    def _check_budget(self) -> None:
        """Stop before the org's daily request budget runs out, leaving a reserve for everyone else."""
        if self.api_usage is None:
            return
        used, limit = self.api_usage
        if limit - used <= max(MIN_RESERVE, limit * self.limit_reserve):
            raise LimitReached(
                f"AS-CMS's daily API requests are nearly used up ({used:,} of {limit:,}); sync stopped to leave "
                "the rest for the org's other users. The queue is kept for later")

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
            form = {"grant_type": "refresh_token", "refresh_token": session.refresh_token,
                    "client_id": session.client_id}
            if session.client_secret:
                form["client_secret"] = session.client_secret
            raw = self._http.post(token_url, data=form)
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


def _http_date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return parsedate_to_datetime(text).astimezone(UTC)
    except (TypeError, ValueError):
        return None


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
