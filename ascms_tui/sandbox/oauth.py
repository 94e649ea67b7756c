"""Sign-in as Salesforce does it for a terminal: the OAuth 2.0 device flow, and refresh.

`POST /services/oauth2/token` with `response_type=device_code` starts a sign-in;
the user approves it on the sandbox's page `/setup/connect` (or the sandbox
approves it at once with `--auto-approve`); the client polls with
`grant_type=device` until it gets its tokens, and later renews the access token
with `grant_type=refresh_token`.
"""

from __future__ import annotations

import base64
import html
import secrets
import time
from dataclasses import dataclass
from typing import Any

from .storage import Storage, id_suffix

DEVICE_CODE_SECONDS = 600
ORG_ID = "00DSb0000000001" + id_suffix("00DSb0000000001")
_USER_CODE_LETTERS = "BCDFGHJKLMNPQRSTVWXZ23456789"  # no vowels (no words), no 0/O or 1/I


@dataclass(frozen=True)
class ConnectedApp:
    """The org's Connected App for ascms-tui, as its admin set it up (docs/org-setup.md).

    `client_secret`: when set, a refresh must present it ("Require secret for Refresh
    Token Flow"); the device flow itself never needs it.
    """

    client_id: str = "ascms-tui"
    client_secret: str | None = None
    scopes: frozenset[str] = frozenset({"api", "refresh_token", "offline_access", "id", "openid"})


class OAuth:
    def __init__(self, storage: Storage, default_user: str, *, fixed_token: str | None, auto_approve: bool,
                 poll_interval: int, app: ConnectedApp | None = None):
        self.storage = storage
        self.default_user = default_user
        self.fixed_token = fixed_token
        self.auto_approve = auto_approve
        self.poll_interval = poll_interval
        self.app = app or ConnectedApp()
        self._granted: dict[str, frozenset[str]] = {}  # device code -> the scopes asked for
        self._last_poll: dict[str, float] = {}  # device code -> when it was last polled

    # --- tokens in use -------------------------------------------------------------------

    def user_for(self, authorization: str | None) -> str | None:
        """The user an Authorization header signs in as, or None."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() not in ("bearer", "oauth") or not token:
            return None
        if self.fixed_token and secrets.compare_digest(token, self.fixed_token):
            return self.default_user
        return self.storage.token_user(token, "access")

    def expire_access_tokens(self) -> None:
        """The fault `expire`: every issued access token stops working; refresh tokens still do."""
        self.storage.revoke_tokens("access")

    # --- the token endpoint ------------------------------------------------------------

    def token(self, form: dict[str, str], instance_url: str) -> tuple[int, dict[str, Any]]:
        client_id = form.get("client_id", "")
        if form.get("response_type") == "device_code":
            if client_id != self.app.client_id:
                return _error("invalid_client_id", "client identifier invalid")
            return self._start_device_flow(client_id, form.get("scope"), instance_url)
        grant = form.get("grant_type")
        if grant == "device":
            return self._poll(form.get("code", ""), client_id, instance_url)
        if grant == "refresh_token":
            if client_id != self.app.client_id:
                return _error("invalid_client_id", "client identifier invalid")
            if self.app.client_secret is not None and not secrets.compare_digest(
                    form.get("client_secret", ""), self.app.client_secret):
                return _error("invalid_client", "invalid client credentials")
            return self._refresh(form.get("refresh_token", ""), instance_url)
        if not grant:
            return _error("unsupported_response_type", "response type not supported")
        return _error("unsupported_grant_type", "grant type not supported")

    def _start_device_flow(self, client_id: str, scope: str | None, instance_url: str) -> tuple[int, dict[str, Any]]:
        # Without `scope` the app's own scopes are granted; with it, only those asked for (and allowed).
        asked = frozenset(scope.split()) if scope else self.app.scopes
        if not asked <= self.app.scopes:
            return _error("invalid_scope", "the requested scope is not allowed")
        device_code = secrets.token_urlsafe(32)
        self._granted[device_code] = asked
        user_code = "".join(secrets.choice(_USER_CODE_LETTERS) for _ in range(8))
        self.storage.add_device_code(device_code, user_code, client_id,
                                     self.default_user if self.auto_approve else None)
        return 200, {
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": f"{instance_url}/setup/connect",
            "interval": self.poll_interval,
        }

    def _poll(self, device_code: str, client_id: str, instance_url: str) -> tuple[int, dict[str, Any]]:
        entry = self.storage.device_code(device_code) if device_code else None
        if entry is None or entry["used"] or entry["client_id"] != client_id:
            return _error("invalid_grant", "invalid device code")
        if time.time() - entry["issued"] > DEVICE_CODE_SECONDS:
            return _error("invalid_grant", "expired authorization code")
        if entry["denied"]:
            return _error("access_denied", "end-user denied authorization")
        now = time.monotonic()
        last = self._last_poll.get(device_code)
        self._last_poll[device_code] = now
        if last is not None and now - last < self.poll_interval:
            return _error("slow_down", "polling too quickly: wait the interval between polls")
        if not entry["approved_by"]:
            return _error("authorization_pending", "authorization pending")
        self.storage.use_device_code(device_code)
        granted = self._granted.pop(device_code, self.app.scopes)
        body = self._access(entry["approved_by"], instance_url, granted)
        if "refresh_token" in granted or "offline_access" in granted:
            refresh_token = "5Aep" + secrets.token_urlsafe(48)
            self.storage.add_token(refresh_token, "refresh", entry["approved_by"])
            body["refresh_token"] = refresh_token
        return 200, body

    def _refresh(self, refresh_token: str, instance_url: str) -> tuple[int, dict[str, Any]]:
        user = self.storage.token_user(refresh_token, "refresh") if refresh_token else None
        if user is None:
            return _error("invalid_grant", "expired access/refresh token")
        return 200, self._access(user, instance_url)

    def _access(self, user: str, instance_url: str, granted: frozenset[str] | None = None) -> dict[str, Any]:
        access_token = ORG_ID[:15] + "!" + secrets.token_urlsafe(48)
        self.storage.add_token(access_token, "access", user)
        return {
            "access_token": access_token,
            "signature": base64.b64encode(secrets.token_bytes(32)).decode(),
            "scope": " ".join(sorted(granted or self.app.scopes)),
            "instance_url": instance_url,
            "id": f"{instance_url}/id/{ORG_ID}/{user}",
            "token_type": "Bearer",
            "issued_at": str(int(time.time() * 1000)),
        }

    def revoke(self, token: str) -> bool:
        return bool(self.storage.revoke_tokens("access", token) or self.storage.revoke_tokens("refresh", token))

    # --- the approval page -------------------------------------------------------------

    def approval_page(self, user_code: str = "", message: str = "") -> str:
        code = html.escape(user_code.strip().upper())
        note = f"<p><strong>{html.escape(message)}</strong></p>" if message else ""
        return _PAGE.format(body=f"""{note}
<p>An app is asking to connect to this training sandbox as <strong>Kiri Tomlinson</strong>
(the sandbox's case manager). Enter the code the app shows you.</p>
<form method="post" action="/setup/connect">
  <label>Code <input name="user_code" value="{code}" autocomplete="off" autofocus></label>
  <button name="action" value="approve">Allow</button>
  <button name="action" value="deny">Deny</button>
</form>""")

    def decide(self, user_code: str, approve: bool) -> str:
        code = user_code.strip().upper()
        done = self.storage.decide_user_code(code, self.default_user if approve else None) if code else False
        if not done:
            return self.approval_page(user_code, "That code is not waiting for approval: check it and try again.")
        result = "The app is connected. You can close this page." if approve else "The app was not connected."
        return _PAGE.format(body=f"<p>{html.escape(result)}</p>")


def _error(code: str, description: str) -> tuple[int, dict[str, Any]]:
    return 400, {"error": code, "error_description": description}


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AS-CMS training sandbox: connect an app</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto">
<h1>AS-CMS training sandbox</h1>
{body}
<p><small>This is a local training copy, not AS-CMS. Everything in it is invented.</small></p>
</body></html>
"""
