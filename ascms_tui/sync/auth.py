"""Signing in to AS-CMS: the OAuth 2.0 device flow, and where the tokens are kept.

Tokens go to the OS keyring when one is usable (the optional `keyring`
package with a real backend), otherwise to a file only the user can read
(0600, in a 0700 config folder). Never to the database, a log or an error
message. `ASCMS_TUI_INSTANCE_URL` and `ASCMS_TUI_ACCESS_TOKEN` override for scripts.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from ..text import clean_text
from .client import Session, check_instance_url, error_text, tls_verify

INSTANCE_ENV = "ASCMS_TUI_INSTANCE_URL"
TOKEN_ENV = "ASCMS_TUI_ACCESS_TOKEN"
KEYRING_SERVICE = "ascms-tui"
DEFAULT_CLIENT_ID = "ascms-tui"
# What the app asks of the org: the REST API, and a refresh token so a sign-in lasts.
SCOPE = "api refresh_token"


class LoginError(Exception):
    pass


# --- the device flow ---------------------------------------------------------------------


def device_login(instance_url: str, *, client_id: str = DEFAULT_CLIENT_ID, client_secret: str | None = None,
                 ca_bundle: str | None = None, show: Callable[[str, str], None],
                 sleep: Callable[[float], None] = time.sleep, give_up_after: float = 900.0) -> Session:
    """Ask for a code, `show(user_code, verification_uri)`, poll until approved; the new Session.

    `client_secret` is kept for refreshes, for a Connected App that requires it; the device
    flow itself never sends it.
    """
    login_url = check_instance_url(instance_url)
    token_url = login_url + "/services/oauth2/token"
    with httpx.Client(verify=tls_verify(ca_bundle), timeout=30.0) as http:
        try:
            raw = http.post(token_url, data={"response_type": "device_code", "client_id": client_id,
                                             "scope": SCOPE})
        except httpx.TransportError as error:
            raise LoginError(f"Could not reach {login_url}: {type(error).__name__}") from None
        start = _json(raw)
        if raw.status_code != 200 or not isinstance(start, dict) or "device_code" not in start:
            raise LoginError(f"{login_url} did not start a sign-in: {error_text(start)}")
        show(clean_text(str(start["user_code"])), clean_text(str(start["verification_uri"])))
        interval = float(start.get("interval") or 5)
        deadline = time.monotonic() + give_up_after
        while time.monotonic() < deadline:
            sleep(interval)
            try:
                raw = http.post(token_url, data={"grant_type": "device", "client_id": client_id,
                                                 "code": start["device_code"]})
            except httpx.TransportError:
                continue  # a dropped poll is asked again
            body = _json(raw)
            if raw.status_code == 200 and isinstance(body, dict) and body.get("access_token"):
                return Session(
                    instance_url=check_instance_url(body.get("instance_url") or login_url),
                    access_token=body["access_token"], refresh_token=body.get("refresh_token"),
                    client_id=client_id, client_secret=client_secret, user_id=_user_id(body), ca_bundle=ca_bundle,
                    token_url=login_url,
                )
            error = body.get("error") if isinstance(body, dict) else None
            if error == "authorization_pending":
                continue
            if error == "slow_down":
                interval += 5
                continue
            raise LoginError(f"Sign-in was not completed: {error_text(body)}")
    raise LoginError("Sign-in timed out before the code was approved; run 'ascms-tui login' again")


def _json(raw: httpx.Response) -> Any:
    try:
        return raw.json()
    except ValueError:
        return raw.text[:300]


def _user_id(body: dict) -> str | None:
    # Salesforce names the user in an identity URL: .../id/<org Id>/<user Id>.
    identity = body.get("id")
    if isinstance(identity, str) and "/id/" in identity:
        return identity.rstrip("/").rsplit("/", 1)[-1]
    return None


# --- where tokens are kept ------------------------------------------------------------------


class TokenStore:
    """The signed-in session, in the OS keyring or a private file in `folder`."""

    def __init__(self, folder: Path, *, use_keyring: bool = True):
        self.folder = folder
        self.file = folder / "session.json"
        self.keyring = _usable_keyring() if use_keyring else None
        self._keyring_errors = _keyring_errors()

    @property
    def where(self) -> str:
        return "the system keyring" if self.keyring is not None else str(self.file)

    def load(self) -> Session | None:
        text = None
        if self.keyring is not None:
            try:
                text = self.keyring.get_password(KEYRING_SERVICE, "session")
            except self._keyring_errors:  # a locked or broken keyring: fall back to the file
                text = None
        if text is None and self.file.exists():
            text = self.file.read_text(encoding="utf-8")
        if not text:
            return None
        try:
            return Session.from_json(json.loads(text))
        except (ValueError, TypeError):
            return None

    def save(self, session: Session) -> None:
        text = json.dumps(session.to_json())
        if self.keyring is not None:
            try:
                self.keyring.set_password(KEYRING_SERVICE, "session", text)
                self.file.unlink(missing_ok=True)
                return
            except self._keyring_errors:
                self.keyring = None  # no usable keyring after all: the private file
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = self.file.with_name(self.file.name + ".part")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, self.file)

    def clear(self) -> None:
        if self.keyring is not None:
            with contextlib.suppress(*self._keyring_errors):
                self.keyring.delete_password(KEYRING_SERVICE, "session")
        self.file.unlink(missing_ok=True)


def _usable_keyring() -> Any:
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except _keyring_errors():
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return None
    return keyring


def _keyring_errors() -> tuple[type[BaseException], ...]:
    try:
        from keyring.errors import KeyringError
    except ImportError:
        return (RuntimeError, OSError)
    return (KeyringError, RuntimeError, OSError)


def current_session(tokens: TokenStore, environ: dict[str, str] | None = None) -> Session | None:
    """The session to sync with: the environment's token if set, else the stored one."""
    environ = os.environ if environ is None else environ
    url = environ.get(INSTANCE_ENV)
    stored = tokens.load()
    if environ.get(TOKEN_ENV):
        instance = url or (stored.instance_url if stored else None)
        if not instance:
            return None
        return Session(instance_url=instance, access_token=environ[TOKEN_ENV],
                       ca_bundle=stored.ca_bundle if stored else None)
    if stored is not None and url:
        stored.instance_url = url
    return stored
