"""The sync engine's parts: mapping, client rules, token storage, the lock, the summary."""

from __future__ import annotations

import io
import random
import stat
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ascms_tui.domain import RECORD_TYPES, CaseComment, Event, Ubnf
from ascms_tui.store import TABLES, Store
from ascms_tui.sync.auth import LoginError, TokenStore, current_session, device_login
from ascms_tui.sync.client import SalesforceClient, Session, error_text
from ascms_tui.sync.commands import _ProgressBar, describe
from ascms_tui.sync.engine import SyncEngine, SyncSummary
from ascms_tui.sync.lock import SyncBusy, SyncLock
from ascms_tui.sync.mapping import MappingError, load_mapping, soql_quote

from .conftest import make_case

CASE_ID = "3f2b8c1e-4a7d-4c2a-9b1e-0d5f6a7b8c9d"


# --- mapping --------------------------------------------------------------------------------


def test_default_mapping_covers_every_record_type_parents_first():
    mapping = load_mapping()
    assert set(mapping.objects) == set(RECORD_TYPES) == set(TABLES)
    order = [o.record_type for o in mapping.in_push_order()]
    assert order[0] == "case"
    assert order.index("plan") < order.index("plan_step") and order.index("barrier") < order.index("service")
    assert mapping.objects["comment"].external_id is None  # CaseComment carries no custom field
    assert all(o.external_id == "Offline_Id__c" for o in mapping.objects.values() if o.record_type != "comment")
    event = mapping.objects["event"]
    assert (event.sobject, event.fields["case_id"], event.fields["hours"]) == ("Event", "WhatId", "Time_Spent_Hours__c")
    assert mapping.objects["comment"].fields == {"case_id": "ParentId", "body": "CommentBody",
                                                 "shared_with_school": "IsPublished"}


def test_a_provider_override_replaces_single_names(tmp_path):
    override = tmp_path / "mapping.toml"
    override.write_text('[barrier]\nsobject = "Attendance_Barrier__c"\n[barrier.fields]\ncategory = "Type__c"\n'
                        '[push]\nbatch_size = 50\n', encoding="utf-8")
    mapping = load_mapping(override)
    barrier = mapping.objects["barrier"]
    assert (barrier.sobject, barrier.fields["category"], barrier.fields["status"]) == (
        "Attendance_Barrier__c", "Type__c", "Status__c")
    assert mapping.batch_size == 50


@pytest.mark.parametrize("text, message", [
    ("[event.fields]\nmood = \"Mood__c\"\n", "mood is not a field of a local Event"),
    ("[widgets]\nsobject = \"W\"\n", r"unknown entry \[widgets\]"),
    ("[push]\nbatch_size = 500\n", "batch_size must be a whole number from 1 to 200"),
    ("[event\n", "not valid TOML"),
])
def test_a_wrong_override_is_refused_naming_the_file_and_entry(tmp_path, text, message):
    override = tmp_path / "mapping.toml"
    override.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError, match=message) as raised:
        load_mapping(override)
    assert str(override) in str(raised.value)


def test_values_go_out_in_salesforce_form_and_come_back_as_local_values():
    mapping = load_mapping()
    ubnf = mapping.objects["ubnf"]
    record = Ubnf(case_id=CASE_ID, provided="Uniform", amount=Decimal("45.50"), provided_on=date(2026, 6, 4))
    out = ubnf.record_to_server(record, {CASE_ID: "500000000000001AAA"})
    assert out == {"Case__c": "500000000000001AAA", "Provided__c": "Uniform", "Amount__c": 45.5,
                   "Date_Provided__c": "2026-06-04", "Barrier__c": None, "Offline_Id__c": record.id}
    back = ubnf.from_server({**out, "Amount__c": 45.5})
    assert back["amount"] == "45.5" and ubnf.same("amount", back["amount"], "45.50")
    event = mapping.objects["event"]
    local = event.from_server({"StartDateTime": "2026-06-04T02:00:00.000+0000", "IsAllDayEvent": None,
                               "Description": None, "Time_Spent_Minutes__c": 30.0, "Subject": "Visit\x07"})
    assert local["start"] == datetime(2026, 6, 4, 2, tzinfo=UTC)
    assert (local["all_day"], local["description"], local["minutes"], local["subject"]) == (False, "", 30, "Visit")
    comment = mapping.objects["comment"].record_to_server(
        CaseComment(case_id=CASE_ID, body="Hui", shared_with_school=True), {CASE_ID: "500x"})
    assert comment == {"ParentId": "500x", "CommentBody": "Hui", "IsPublished": True}


def test_soql_literals_and_the_briefcase_scope():
    assert soql_quote("O'Brien \\ co") == "'O\\'Brien \\\\ co'"
    mapping = load_mapping()
    assert mapping.scope_condition("Kiri Tomlinson") == "Case_Owner_Name__c = 'Kiri Tomlinson'"
    assert mapping.scope_condition(None) == ""


# --- client rules ------------------------------------------------------------------------------


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    client = SalesforceClient(Session("http://127.0.0.1:9", "t"), backoff=0.5, backoff_cap=8, rng=random.Random(1))
    delays = [client.delay(n) for n in range(1, 8)]
    client.close()
    for n, value in enumerate(delays, start=1):
        ceiling = min(8, 0.5 * 2 ** (n - 1))
        assert ceiling / 2 <= value <= ceiling
    assert len({round(d, 6) for d in delays[:4]}) == 4


def test_tokens_stay_out_of_repr_and_server_text_is_cleaned():
    session = Session("https://asp.my.salesforce.com", "SECRET-ACCESS", "SECRET-REFRESH")
    assert "SECRET" not in repr(session)
    text = error_text([{"errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "Bad\x1b[2J\nvalue"}])
    assert text == "FIELD_CUSTOM_VALIDATION_EXCEPTION: Bad value"


# --- sign-in and token storage ---------------------------------------------------------------------


def test_tokens_are_kept_in_a_private_file_without_a_keyring(tmp_path):
    tokens = TokenStore(tmp_path / "config", use_keyring=False)
    assert tokens.load() is None
    tokens.save(Session("https://asp.my.salesforce.com", "A1", "R1", user_id="005x"))
    assert stat.S_IMODE(tokens.file.stat().st_mode) == 0o600
    assert stat.S_IMODE(tokens.folder.stat().st_mode) == 0o700
    loaded = tokens.load()
    assert (loaded.access_token, loaded.refresh_token, loaded.user_id) == ("A1", "R1", "005x")
    tokens.clear()
    assert tokens.load() is None


def test_environment_overrides_for_scripts(tmp_path):
    tokens = TokenStore(tmp_path, use_keyring=False)
    assert current_session(tokens, {}) is None
    env = {"ASCMS_TUI_INSTANCE_URL": "http://127.0.0.1:8765", "ASCMS_TUI_ACCESS_TOKEN": "T"}
    session = current_session(tokens, env)
    assert (session.instance_url, session.access_token, session.refresh_token) == ("http://127.0.0.1:8765", "T", None)
    tokens.save(Session("https://asp.my.salesforce.com", "A1", "R1"))
    assert current_session(tokens, {"ASCMS_TUI_INSTANCE_URL": "https://other.example"}).instance_url == \
        "https://other.example"


def test_device_login_waits_for_approval_and_gives_up_in_time(sandbox_factory):
    sandbox = sandbox_factory(auto_approve=False)
    shown = []
    with pytest.raises(LoginError, match="timed out"):
        device_login(sandbox.base_url, show=lambda code, uri: shown.append((code, uri)), sleep=lambda s: None,
                     give_up_after=0.3)
    code, uri = shown[0]
    assert uri.startswith(sandbox.base_url) and code


def test_no_token_reaches_the_database(store, sandbox, tmp_path):
    session = device_login(sandbox.base_url, show=lambda code, uri: None, sleep=lambda s: None)
    store.create(make_case())
    assert SyncEngine(store, session).run().exit_code == 0
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("cases.sqlite3*"))
    assert session.access_token.encode() not in raw and session.refresh_token.encode() not in raw


# --- the lock and the summary -------------------------------------------------------------------------


def test_only_one_sync_at_a_time_and_the_lock_is_released(tmp_path):
    db = tmp_path / "cases.sqlite3"
    first, second = SyncLock(db), SyncLock(db)
    with first:
        assert not second.acquire()
        with pytest.raises(SyncBusy):
            second.__enter__()
    assert second.acquire()
    second.release()


def test_exit_status_and_summary_wording():
    assert SyncSummary().exit_code == 0
    assert SyncSummary(set_aside=1).exit_code == 1
    assert SyncSummary(conflicts=2).exit_code == 1
    assert SyncSummary(stopped="offline").exit_code == 2
    assert SyncSummary(stopped="limit", queued=4).exit_code == 2
    text = describe(SyncSummary(pushed=12, pulled=3, requests=5, set_aside=1, conflicts=2))
    assert "Sent 12 changes" in text and "1 change set aside" in text and "2 conflicts to resolve" in text
    assert set(SyncSummary().to_json()) >= {"pushed", "set_aside", "conflicts", "pulled", "requests"}
    stream = io.StringIO()
    bar = _ProgressBar(stream, width=10)
    bar.update("push", 5, 10)
    bar.finish()
    assert "[#####-----] 5/10 changes" in stream.getvalue()


def test_pulled_events_keep_local_edits_queued(store, sandbox):
    """A pull never queues AS-CMS's own state back to it."""
    case = store.create(make_case())
    SyncEngine(store, Session(sandbox.base_url, sandbox.token)).run()
    from ascms_tui.domain import Case

    server_case = store.get(Case, case.id).server_id
    sandbox.central_create("Event", {"WhatId": server_case, "Subject": "School Meeting",
                                     "StartDateTime": "2026-06-05T01:00:00.000+0000", "DurationInMinutes": 60})
    summary = SyncEngine(store, Session(sandbox.base_url, sandbox.token)).run()
    assert summary.pulled == 1 and store.open_changes() == []
    [event] = store.records(Event, case.id)
    assert event.subject == "School Meeting"


def test_store_closes_cleanly_after_sync(tmp_path, sandbox):
    with Store(tmp_path / "x.sqlite3") as store:
        store.create(make_case())
        assert SyncEngine(store, Session(sandbox.base_url, sandbox.token)).run().exit_code == 0
