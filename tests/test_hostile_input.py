"""Hostile input: whatever arrives is stored and read back literally, or refused with a clear message.

Random Unicode, markup, control and escape sequences, lone surrogates, huge
strings, wrong types and impossible dates go into every parser a form uses,
every record model through the store, and the import. Never an unexpected
exception, never a damaged store (PRAGMA integrity_check, foreign keys).
Example counts stay modest: the whole suite must run in minutes on 2 cores.
"""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ascms_tui.domain import (
    CASE_RECORD_TYPES,
    Case,
    PlanStep,
    describe_errors,
)
from ascms_tui.interchange import ImportSummary, InterchangeError, import_document
from ascms_tui.nzinput import (
    nz_datetime,
    parse_nz_date,
    parse_nz_time,
    parse_whole_number,
)
from ascms_tui.store import StoreError
from ascms_tui.text import clean_text

from .conftest import make_case

# The 40,000-character examples make Hypothesis warn about long reprs: expected here.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])

NASTY = [
    "[/foo]", "[bold red]x[/]", "[link=file:///etc/passwd]x[/link]", "\x1b[2J\x1b[H", "\x1b]0;pwned\x07",
    "\x1b]8;;http://evil\x1b\\x", "\u202eevil", "\u2066x\u2069", "\x00", "\x07\x08\x7f", "\r\n\r",
    "'); DROP TABLE cases; --", "\" OR 1=1 --", "%", "_", "{{ 7*7 }}", "<script>alert(1)</script>",
    "\ud800", "\udfff lone", "ā\u0304", "a\u0304", "🙂", "\ufeff", "\u200b", "Whānau", "Ngāi Tūhoe",
    "9" * 5000, "x" * 40_000, "ā" * 5_000,
]
hostile_text = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Mn", "So", "Lo"]), max_size=30),
    st.sampled_from(NASTY),
    st.lists(st.sampled_from(NASTY + list(string.printable)), max_size=8).map("".join),
)
odd_dates = st.one_of(
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
    st.sampled_from(["2026-02-30", "0000-01-01", "9999-12-31", "31/12/2026", "-1", "2026-13-01", "today",
                     "2026-06-04T25:00:00+12:00", "2026-06-04T14:00:00", "1970-01-01T00:00:00Z"]),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                 timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=13))])),
)
hostile_value = st.one_of(
    hostile_text, odd_dates, st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _sound(store) -> None:
    assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store._conn.execute("PRAGMA foreign_key_check").fetchall() == []


def _clear(messages: list[str]) -> None:
    assert messages and all(isinstance(m, str) and m.strip() for m in messages)


# --- what the forms parse -------------------------------------------------------------


@FEW
@given(text=hostile_text, today=st.dates(min_value=date(1901, 1, 1), max_value=date(2998, 12, 31)))
def test_date_and_time_fields_parse_or_explain(text, today):
    for parse in (lambda t: parse_nz_date(t, today), parse_nz_time):
        try:
            value = parse(text)
        except ValueError as error:
            assert str(error).strip()
        else:
            assert isinstance(value, date | time)
    try:
        parse_nz_date(text, today)
        when = parse_nz_time(text)
    except ValueError:
        return
    try:
        nz_datetime(today, when)
    except ValueError as error:
        assert "does not exist in New Zealand" in str(error)


@FEW
@given(text=hostile_text, label=st.sampled_from(["Hours", "Minutes"]))
def test_number_fields_parse_or_explain(text, label):
    try:
        value = parse_whole_number(text, label=label)
    except ValueError as error:
        assert label in str(error)
    else:
        assert isinstance(value, int) and value >= 0


# --- every record model, through the store ----------------------------------------------------


def _fields(model) -> list[str]:
    return [name for name in model.model_fields if name not in ("id", "case_id", "plan_id", "recorded_at")]


@pytest.mark.parametrize("model", CASE_RECORD_TYPES, ids=lambda m: m.record_type)
def test_every_record_type_stores_literally_or_refuses_clearly(model, store):
    case = store.create(make_case())
    plan_id = None
    if model is PlanStep:
        from ascms_tui.domain import Plan

        plan_id = store.create(Plan(case_id=case.id)).id

    # Half the examples break types and dates anywhere; half put hostile text only where text
    # belongs, so that they reach the store and must come back literally.
    @FEW
    @given(data=st.one_of(st.dictionaries(st.sampled_from(_fields(model)), hostile_value, max_size=3),
                          st.dictionaries(st.sampled_from(_text_fields(model)), hostile_text, max_size=4)),
           valid=st.fixed_dictionaries(_valid_hint(model)))
    def check(data, valid):
        values = {**valid, **data, "case_id": case.id}
        if plan_id:
            values["plan_id"] = plan_id
        _store_or_refuse(store, model, values)

    check()
    _sound(store)


def _text_fields(model) -> list[str]:
    """Fields that take free text (not picklists)."""
    import enum
    import typing

    def is_text(annotation) -> bool:
        while typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        options = typing.get_args(annotation) or (annotation,)
        return any(o is str for o in options) and not any(
            isinstance(o, type) and issubclass(o, enum.Enum) for o in options)

    return [name for name in _fields(model) if is_text(model.model_fields[name].annotation)
            and name not in ("server_id", "server_version")] or _fields(model)


def _valid_hint(model) -> dict:
    """Valid values for required fields, so that examples also reach the store, not only the validator."""
    hints = {"subject": st.just("Home Visit"), "start": st.just("2026-06-04T14:00:00+12:00"),
             "body": st.just("Invented note"), "name": st.just("Invented Name"), "role": st.just("Whānau member"),
             "category": st.just("Other"), "action": st.just("Bus pass"), "responsible": st.just("School"),
             "kind": st.just("NGO"), "agency": st.just("MSD"), "referred_on": st.just("2026-06-01"),
             "provided": st.just("Shoes"), "amount": st.just("12.50"), "provided_on": st.just("2026-06-01"),
             "requested_on": st.just("2026-06-01"), "to_status": st.just("Open"), "file_name": st.just("plan.pdf")}
    return {name: strategy for name, strategy in hints.items() if name in model.model_fields}


def _store_or_refuse(store, model, values) -> None:
    try:
        record = model.model_validate(values)
    except ValidationError as error:
        _clear(describe_errors(error, model))
        return
    try:
        stored = store.create(record)
    except StoreError as error:  # RecordInvalid is one: both name what is wrong
        assert str(error).strip()
        return
    assert store.get(model, stored.id) == stored  # read back exactly as accepted
    for name, value in values.items():
        kept = getattr(stored, name, None)
        if isinstance(value, str) and isinstance(kept, str) and name not in ("case_id", "plan_id"):
            assert kept == clean_text(value) or kept == clean_text(value).strip()  # literal, less controls


@FEW
@given(student=st.dictionaries(st.sampled_from(["name", "known_as", "nsn", "date_of_birth", "gender", "year_level",
                                                "ethnicity", "iwi"]), hostile_value, max_size=5),
       other=st.dictionaries(st.sampled_from(_fields(Case)), hostile_value, max_size=4),
       number=st.integers(min_value=0, max_value=99_999_999))
def test_cases_store_literally_or_refuse_clearly(store, student, other, number):
    values = {"case_number": f"{number:08d}", "case_type": "Chronic Absence", "referral_date": "2026-06-01",
              "student": {"name": "Invented Student", **student}, **other}
    _store_or_refuse(store, Case, values)
    _sound(store)


@FEW
@given(changes=st.dictionaries(st.sampled_from([*_fields(Case), "nonsense", "id"]), hostile_value, min_size=1,
                               max_size=3))
def test_updates_apply_or_refuse_without_touching_the_record(store, changes):
    case = store.find_case("00307473") or store.create(make_case())
    before = store.get(Case, case.id)
    try:
        store.update(Case, case.id, changes)
    except StoreError as error:
        assert str(error).strip()
        assert store.get(Case, case.id) == before
    _sound(store)


# --- the import ----------------------------------------------------------------------


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**64), max_value=2**64),
              st.floats(allow_nan=False), hostile_text),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(hostile_text, children, max_size=3),
    max_leaves=12,
)
case_documents = st.fixed_dictionaries(
    {"case_number": st.one_of(st.integers(0, 99_999_999).map(lambda n: f"{n:08d}"), hostile_value),
     "case_type": st.sampled_from(["Chronic Absence", "Non Enrolled", "chronic absence", ""]),
     "referral_date": odd_dates.map(str),
     "student": st.one_of(st.fixed_dictionaries({"name": hostile_text}), json_values)},
    optional={"comments": st.lists(st.fixed_dictionaries({"body": hostile_text}, optional={"id": hostile_text}),
                                   max_size=3),
              "events": st.lists(st.dictionaries(st.sampled_from(["subject", "start", "end", "all_day", "hours"]),
                                                 hostile_value.map(str), max_size=5), max_size=2),
              "plans": st.lists(st.fixed_dictionaries({"status": st.sampled_from(["Draft", "In Progress"])},
                                                      optional={"steps": json_values}), max_size=2),
              "pending_sync": st.booleans(), "contacts": json_values},
)
documents = st.one_of(
    json_values,
    st.fixed_dictionaries({"format": st.just("ascms-tui/1"), "cases": st.lists(case_documents, max_size=3)}),
    st.fixed_dictionaries({"format": st.just("ascms-tui/1"), "cases": json_values}),
)


@FEW
@given(document=documents)
def test_the_import_takes_a_document_whole_or_names_its_problems(store, document):
    before = store.count(Case)
    try:
        summary = import_document(store, document, source="hostile.json")
    except InterchangeError as error:
        _clear(error.problems)
        assert store.count(Case) == before  # all or nothing
    else:
        assert isinstance(summary, ImportSummary)
        assert store.count(Case) == before + summary.cases
    _sound(store)


def test_an_as_cms_id_already_here_is_refused_not_crashed_on(store):
    from ascms_tui.domain import Task

    case = store.create(make_case(server_id="500Nq00000Invented"))
    store.create(Task(case_id=case.id, subject="First", server_id="00TNq0000Invented"))
    with pytest.raises(StoreError, match="already belongs to another Task"):
        store.create(Task(case_id=case.id, subject="Second", server_id="00TNq0000Invented"))
    document = {"format": "ascms-tui/1", "cases": [{
        "case_number": "00000042", "case_type": "Chronic Absence", "referral_date": "2026-06-01",
        "student": {"name": "Invented"}, "tasks": [{"subject": "Third", "server_id": "00TNq0000Invented"}]}]}
    with pytest.raises(InterchangeError, match="AS-CMS Id 00TNq0000Invented is already in this store"):
        import_document(store, document)
    _sound(store)
