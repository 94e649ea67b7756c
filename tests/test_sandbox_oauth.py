"""Sign-in on the training sandbox: the OAuth 2.0 device flow, the approval page, refresh, and tokens."""

from __future__ import annotations

import time

import pytest

TOKEN_URL = "/services/oauth2/token"


def start_device_flow(server, client_id: str = "ascms-tui") -> dict:
    status, body, headers = server.request("POST", TOKEN_URL, token="",
                                           form={"response_type": "device_code", "client_id": client_id})
    assert status == 200
    assert headers["cache-control"] == "no-store"
    return body


def poll(server, device_code: str, client_id: str = "ascms-tui") -> tuple[int, dict]:
    status, body, _ = server.request("POST", TOKEN_URL, token="",
                                     form={"grant_type": "device", "client_id": client_id, "code": device_code})
    return status, body


def test_device_flow_waits_for_approval_on_the_page_then_gives_tokens(sandbox_factory):
    server = sandbox_factory(auto_approve=False, poll_interval=1)
    started = start_device_flow(server)
    assert set(started) == {"device_code", "user_code", "verification_uri", "interval"}
    assert started["verification_uri"] == f"{server.base_url}/setup/connect"
    assert started["interval"] == 1
    assert poll(server, started["device_code"]) == (400, {"error": "authorization_pending",
                                                          "error_description": "authorization pending"})

    # The person opens the page, types the code and allows the app.
    status, page, _ = server.request("GET", f"/setup/connect?user_code={started['user_code']}", token="")
    assert status == 200 and started["user_code"] in page and "<form" in page
    status, page, _ = server.request("POST", "/setup/connect", token="",
                                     form={"user_code": started["user_code"].lower(), "action": "approve"})
    assert status == 200 and "connected" in page

    # Polled again sooner than the interval: slow down (RFC 8628, as Salesforce answers).
    assert poll(server, started["device_code"])[1]["error"] == "slow_down"
    time.sleep(1.05)
    status, tokens = poll(server, started["device_code"])
    assert status == 200
    assert tokens["token_type"] == "Bearer"
    assert tokens["instance_url"] == server.base_url
    assert {"access_token", "refresh_token", "issued_at", "id", "scope", "signature"} <= set(tokens)
    assert server.api("GET", "query?q=SELECT+Id+FROM+Case", token=tokens["access_token"])[0] == 200
    # A device code works once.
    assert poll(server, started["device_code"])[1]["error"] == "invalid_grant"

    status, info, _ = server.request("GET", "/services/oauth2/userinfo", token=tokens["access_token"])
    assert info["name"] == "Kiri Tomlinson" and info["user_id"] == server.users()["default"]


def test_a_denied_sign_in_and_a_wrong_code(sandbox_factory):
    server = sandbox_factory(auto_approve=False)
    started = start_device_flow(server)
    _status, page, _ = server.request("POST", "/setup/connect", token="",
                                     form={"user_code": "WRONG123", "action": "approve"})
    assert "not waiting for approval" in page
    server.request("POST", "/setup/connect", token="", form={"user_code": started["user_code"], "action": "deny"})
    assert poll(server, started["device_code"]) == (400, {"error": "access_denied",
                                                          "error_description": "end-user denied authorization"})


def test_the_approval_page_does_not_echo_markup(sandbox_factory):
    server = sandbox_factory(auto_approve=False)
    _, page, _ = server.request("GET", "/setup/connect?user_code=%3Cscript%3Ealert(1)%3C/script%3E", token="")
    assert "<script>" not in page.lower() and "&lt;SCRIPT&gt;" in page


def test_auto_approve_and_refresh(sandbox):
    started = start_device_flow(sandbox)
    status, tokens = poll(sandbox, started["device_code"])
    assert status == 200
    status, renewed, _ = sandbox.request("POST", TOKEN_URL, token="", form={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": "ascms-tui"})
    assert status == 200
    assert renewed["access_token"] != tokens["access_token"] and "refresh_token" not in renewed
    assert sandbox.api("GET", "query?q=SELECT+Id+FROM+Case", token=renewed["access_token"])[0] == 200
    status, refused, _ = sandbox.request("POST", TOKEN_URL, token="", form={
        "grant_type": "refresh_token", "refresh_token": "made-up", "client_id": "ascms-tui"})
    assert (status, refused["error"]) == (400, "invalid_grant")


def test_token_endpoint_errors(sandbox):
    status, body, _ = sandbox.request("POST", TOKEN_URL, token="", form={"response_type": "device_code"})
    assert (status, body["error"]) == (400, "invalid_client_id")
    status, body, _ = sandbox.request("POST", TOKEN_URL, token="", form={"grant_type": "password"})
    assert (status, body["error"]) == (400, "unsupported_grant_type")
    assert poll(sandbox, "no-such-code")[1]["error"] == "invalid_grant"


@pytest.mark.parametrize("header", ["Bearer wrong", "", "Basic abc"])
def test_a_bad_or_missing_token_is_invalid_session_id(sandbox, header):
    status, body, _ = sandbox.request("GET", "/services/data/v60.0/query?q=SELECT+Id+FROM+Case", token="",
                                      headers={"Authorization": header} if header else {})
    assert status == 401
    assert body == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def test_admin_api_needs_a_token_too(sandbox):
    status, _, _ = sandbox.request("GET", "/sandbox/stats", token="wrong")
    assert status == 401


def test_revoked_token_stops_working(sandbox):
    tokens = sandbox.device_login()
    sandbox.request("POST", "/services/oauth2/revoke", token="", form={"token": tokens["access_token"]})
    assert sandbox.api("GET", "query?q=SELECT+Id+FROM+Case", token=tokens["access_token"])[0] == 401


def test_only_the_registered_client_id_signs_in(sandbox_factory):
    server = sandbox_factory(client_id="ascms-tui-provider-x")
    status, body, _ = server.request("POST", TOKEN_URL, token="",
                                     form={"response_type": "device_code", "client_id": "someone-else"})
    assert (status, body["error"]) == (400, "invalid_client_id")
    started = start_device_flow(server, client_id="ascms-tui-provider-x")
    assert poll(server, started["device_code"], client_id="someone-else")[1]["error"] == "invalid_grant"
    assert poll(server, started["device_code"], client_id="ascms-tui-provider-x")[0] == 200


def test_scope_decides_whether_a_refresh_token_is_given(sandbox_factory):
    server = sandbox_factory()
    for scope, refresh in (("api refresh_token", True), ("api", False)):
        status, started, _ = server.request("POST", TOKEN_URL, token="", form={
            "response_type": "device_code", "client_id": "ascms-tui", "scope": scope})
        assert status == 200
        status, tokens = poll(server, started["device_code"])
        assert status == 200 and tokens["scope"] == " ".join(sorted(scope.split()))
        assert ("refresh_token" in tokens) is refresh
    status, body, _ = server.request("POST", TOKEN_URL, token="", form={
        "response_type": "device_code", "client_id": "ascms-tui", "scope": "api full"})
    assert (status, body["error"]) == (400, "invalid_scope")


def test_a_connected_app_may_require_its_secret_to_refresh(sandbox_factory):
    server = sandbox_factory(client_secret="invented-secret")
    tokens = server.device_login()  # the device flow itself needs no secret
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": "ascms-tui"}
    status, body, _ = server.request("POST", TOKEN_URL, token="", form=form)
    assert (status, body["error"]) == (400, "invalid_client")
    status, body, _ = server.request("POST", TOKEN_URL, token="", form={**form, "client_secret": "wrong"})
    assert (status, body["error"]) == (400, "invalid_client")
    status, body, _ = server.request("POST", TOKEN_URL, token="", form={**form, "client_secret": "invented-secret"})
    assert status == 200 and body["access_token"]
