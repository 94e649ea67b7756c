"""Hostile input from the central system: records as a pull returns them, with any value in any field.

Each record of every type is either taken in (its text cleaned of control and
escape sequences) or skipped with a reason; never an unexpected exception,
never a damaged store, never a local change lost. Example counts stay modest.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ascms_tui.domain import Case, Event
from ascms_tui.store import TABLES, Store
from ascms_tui.sync.mapping import load_mapping

from .conftest import make_case
from .test_hostile_input import NASTY, hostile_text, odd_dates

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
FEW = settings(max_examples=40, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
MAPPING = load_mapping()
CASE_SERVER_ID = "500000000000001AAA"
CONTROL = {chr(c) for c in range(32) if chr(c) not in "\t\n"} | {"\x7f", "\u202e", "\u2066"}

any_value = st.one_of(
    hostile_text, odd_dates.map(str), st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.sampled_from(NASTY),
)
modstamps = st.sampled_from(["2026-06-30T01:00:00.000+0000", "2026-07-01T23:59:59.999+0000", "not a date", "",
                             "9999-12-31T23:59:59.000+0000"])


def synced_case(store: Store) -> Case:
    case = store.create(make_case())
    [change] = store.open_changes()
    store.record_pushed("case", [(case.id, CASE_SERVER_ID, [change.change_id])])
    return store.get(Case, case.id)


def server_record(object_key: str, server_id: str, overrides: dict) -> dict:
    """A plausible record of this object as a query returns it, then the hostile overrides."""
    obj = MAPPING.objects[object_key]
    record = {"attributes": {"type": obj.sobject}, "Id": server_id, "SystemModstamp": "2026-06-30T01:00:00.000+0000",
              "CreatedDate": "2026-06-30T01:00:00.000+0000"}
    for column, name in obj.fields.items():
        kind = obj.kinds[column]
        record[name] = CASE_SERVER_ID if kind == "ref" else None
    if object_key == "event":
        record.update(Subject="Home Visit", StartDateTime="2026-06-04T02:00:00.000+0000", IsAllDayEvent=False)
    if object_key == "comment":
        record.update(CommentBody="From the school", IsPublished=False)
    record.update(overrides)
    return record


def assert_store_sound(store: Store) -> None:
    with closing(sqlite3.connect(store.path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def assert_clean(text: str | None) -> None:
    assert text is None or not (set(text) & CONTROL), repr(text)


@FEW
@given(object_key=st.sampled_from(["event", "comment", "task", "contact", "barrier", "service"]),
       fields=st.data(), modstamp=modstamps)
def test_any_value_in_any_field_is_taken_in_clean_or_skipped_with_a_reason(tmp_path_factory, object_key, fields,
                                                                          modstamp):
    store = Store(tmp_path_factory.mktemp("pull") / "cases.sqlite3")
    try:
        synced_case(store)
        obj = MAPPING.objects[object_key]
        names = sorted(obj.fields.values())
        chosen = fields.draw(st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True))
        overrides = {name: fields.draw(any_value) for name in chosen}
        overrides["SystemModstamp"] = modstamp
        record = server_record(object_key, f"a0X00000000000{len(chosen)}AAA", overrides)
        result = store.apply_server_records(obj, [record])
        assert result.added + result.updated + result.conflicts + len(result.skipped) >= 1
        for reason in result.skipped:
            assert isinstance(reason, str) and reason.strip()
        for row in store.read(f"SELECT * FROM {TABLES[obj.record_type]}"):  # whatever was taken in is clean
            for value in row:
                if isinstance(value, str):
                    assert_clean(value)
        assert_store_sound(store)
    finally:
        store.close()


@FEW
@given(body=hostile_text, subject=hostile_text, minutes=any_value)
def test_a_hostile_central_edit_never_loses_the_local_unpushed_change(tmp_path_factory, body, subject, minutes):
    store = Store(tmp_path_factory.mktemp("pull") / "cases.sqlite3")
    try:
        case = synced_case(store)
        event = store.create(Event(case_id=case.id, subject="Home Visit", start=datetime(2026, 6, 4, 2, tzinfo=UTC),
                                   description="Met Aroha at home."))
        changes = [c.change_id for c in store.open_changes() if c.record_id == event.id]
        store.record_pushed("event", [(event.id, "00U000000000001AAA", changes)])
        store.update(Event, event.id, {"description": "Typed in the car park, not yet sent."})
        record = server_record("event", "00U000000000001AAA", {
            "Offline_Id__c": event.id, "Subject": subject, "Description": body, "Time_Spent_Minutes__c": minutes,
            "SystemModstamp": "2026-06-30T02:00:00.000+0000"})
        store.apply_server_records(MAPPING.objects["event"], [record])
        after = store.get(Event, event.id)
        assert after.description == "Typed in the car park, not yet sent."  # kept, or held as a conflict
        assert_clean(after.subject)
        assert_store_sound(store)
    finally:
        store.close()
