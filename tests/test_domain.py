"""Validation speaks to a case manager: each message names the field and what is accepted."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from ascms_tui.domain import (
    COMMON_EVENT_SUBJECTS,
    INITIAL_SCHOOL_MEETING,
    INITIAL_WHANAU_MEETING,
    Case,
    CaseComment,
    Contact,
    Event,
    InfoRequest,
    Service,
    Task,
    Ubnf,
    describe_errors,
)
from ascms_tui.nztime import format_nz_datetime, nz_today

CASE_ID = "3f2b8c1e-4a7d-4c2a-9b1e-0d5f6a7b8c9d"


def messages(model, **data) -> list[str]:
    with pytest.raises(ValidationError) as error:
        model.model_validate(data)
    return describe_errors(error.value, model)


def event(**overrides):
    return {"case_id": CASE_ID, "subject": "Home Visit", "start": "2026-06-04T14:00:00+12:00", **overrides}


def test_initial_meeting_subjects_are_exact_and_first():
    assert INITIAL_SCHOOL_MEETING == "Initial School Meeting"
    assert INITIAL_WHANAU_MEETING == "Initial Student / Whānau Meeting"
    assert COMMON_EVENT_SUBJECTS[:2] == (INITIAL_SCHOOL_MEETING, INITIAL_WHANAU_MEETING)
    assert Event.model_validate(event(subject=INITIAL_WHANAU_MEETING)).is_initial_meeting
    assert not Event.model_validate(event(subject="Initial Whanau Meeting")).is_initial_meeting


def test_end_before_start():
    assert messages(Event, **event(end="2026-06-04T13:00:00+12:00")) == [
        "End Date Time is before Start Date Time"
    ]


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(60, "Minutes must be from 0 to 59 (got 60); put whole hours in Hours"),
     (-1, "Minutes must be from 0 to 59 (got -1); put whole hours in Hours")],
)
def test_minutes_outside_0_to_59(minutes, expected):
    assert messages(Event, **event(minutes=minutes)) == [expected]


@pytest.mark.parametrize("hours", [-1, 25, 1000])
def test_negative_or_absurd_hours(hours):
    assert messages(Task, case_id=CASE_ID, subject="Call school", hours=hours) == [
        f"Hours must be from 0 to 24 for one record (got {hours})"
    ]


def test_time_spent_over_a_day_in_total():
    assert messages(Event, **event(hours=24, minutes=1)) == ["Time spent is over 24 hours for one record"]


def test_hours_that_are_not_numbers():
    [message] = messages(Event, **event(hours="two"))
    assert message.startswith("Hours ")
    assert "integer" in message


@pytest.mark.parametrize("subject", ["", "   ", "\x1b[2J"])
def test_empty_subject(subject):
    assert messages(Event, **event(subject=subject)) == ["Subject must not be empty"]


def test_subject_over_the_central_limit():
    assert messages(Task, case_id=CASE_ID, subject="x" * 256) == [
        "Subject is 256 characters long; AS-CMS accepts at most 255"
    ]


def test_date_of_birth_in_the_future():
    tomorrow = nz_today() + timedelta(days=1)
    found = messages(Case, case_number="00307473", case_type="Chronic Absence", referral_date="2026-06-01",
                     student={"name": "Aroha Invented", "date_of_birth": tomorrow.isoformat()})
    assert found == [f"Date of birth {tomorrow:%d/%m/%Y} is in the future"]


def test_comment_body_limit_is_bytes_not_characters():
    # 2,000 macron vowels are 2,000 characters but 4,000 bytes: exactly at the limit.
    assert CaseComment(case_id=CASE_ID, body="ā" * 2000).body == "ā" * 2000
    assert messages(CaseComment, case_id=CASE_ID, body="ā" * 2000 + "a") == [
        "Comment is 4,001 bytes in UTF-8; AS-CMS accepts at most 4,000 (macrons count as 2 bytes). "
        "Split it into two comments"
    ]


def test_case_number_and_picklists_are_named():
    found = messages(Case, case_number="307473", case_type="CA", referral_date="2026-06-01",
                     student={"name": "Aroha Invented"})
    assert found == [
        "Case number must be the 8-digit AS-CMS case number, e.g. 00307473",
        "Case type must be one of 'Chronic Absence' or 'Non Enrolled' (got 'CA')",
    ]


def test_missing_and_unknown_fields():
    found = messages(Service, case_id=CASE_ID, kind="NGO", referred_on="2026-06-01", colour="red")
    assert found == ["Agency or provider is required", "colour is not a field of this record"]


def test_contact_email_and_phone():
    found = messages(Contact, case_id=CASE_ID, name="Hine Invented", role="Parent / Caregiver",
                     phone="call me", email="hine.example")
    assert found == [
        "Phone must be digits, spaces, +, - or brackets, e.g. 021 555 0123",
        "Email is not an email address like name@example.co.nz",
    ]


def test_date_order_on_services_and_info_requests():
    assert messages(Service, case_id=CASE_ID, kind="NGO", agency="Invented Trust", referred_on="2026-06-10",
                    follow_up_on="2026-06-01") == ["Follow-up date is before Date referred"]
    assert messages(InfoRequest, case_id=CASE_ID, agency="MSD", requested_on="2026-06-10",
                    answered_on="2026-06-01") == ["Date answered is before Date requested"]


def test_ubnf_amount_not_negative():
    assert messages(Ubnf, case_id=CASE_ID, provided="Bus pass", amount="-5", provided_on="2026-06-01") == [
        "Amount (NZD) must not be negative"
    ]


def test_datetime_without_offset_is_refused():
    [message] = messages(Event, **event(start="2026-06-04T14:00:00"))
    assert message.startswith("Start Date Time ")
    assert "time-zone offset" in message


def test_times_are_stored_in_utc_and_shown_in_nz():
    stored = Event.model_validate(event(start="2026-06-04T14:00:00+12:00"))
    assert stored.start.isoformat() == "2026-06-04T02:00:00+00:00"
    assert format_nz_datetime(stored.start) == "4/06/2026, 2:00 pm"
    summer = Event.model_validate(event(start="2026-12-01T09:05:00+13:00"))
    assert format_nz_datetime(summer.start) == "1/12/2026, 9:05 am"


def test_all_day_event_with_plain_dates_starts_at_nz_midnight():
    stored = Event.model_validate(event(all_day=True, start="2026-06-04", end="2026-06-04"))
    assert format_nz_datetime(stored.start) == "4/06/2026, 12:00 am"


def test_untrusted_text_loses_control_characters_but_keeps_markup_literally():
    comment = CaseComment(case_id=CASE_ID, body="closing [/foo] tag [bold]x[/bold] \x1b[2J\x9b\u202eend\r\nnext\tline")
    assert comment.body == "closing [/foo] tag [bold]x[/bold] end\nnext\tline"


def test_record_ids_are_uuids_generated_once():
    first = Task(case_id=CASE_ID, subject="Call school")
    second = Task(case_id=CASE_ID, subject="Call school")
    assert first.id != second.id
    assert Task.model_validate(first.model_dump()).id == first.id
    assert messages(Task, id="not-a-uuid", case_id=CASE_ID, subject="x") == [
        "Record id must be a UUID such as 3f2b8c1e-4a7d-4c2a-9b1e-0d5f6a7b8c9d"
    ]


def test_referral_date_not_in_future():
    tomorrow = nz_today() + timedelta(days=1)
    found = messages(Case, case_number="00307473", case_type="Non Enrolled", referral_date=tomorrow,
                     student={"name": "Aroha Invented"})
    assert found == [f"Referral date {tomorrow:%d/%m/%Y} is in the future"]
    assert Case(case_number="00307473", case_type="Non Enrolled", referral_date=date(2026, 1, 5),
                student={"name": "A"}).status == "Open"


def test_nz_date_of_stored_instants_matches_a_full_conversion():
    from datetime import UTC, datetime, timedelta

    from ascms_tui.nztime import nz_date, nz_date_of_stored

    # Every 7 minutes through 2026, across both daylight-saving changes.
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    while moment.year == 2026:
        text = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert nz_date_of_stored(text) == nz_date(moment), text
        moment += timedelta(minutes=7 * 60 + 7)


def test_nz_date_of_instant_matches_a_full_conversion():
    from datetime import UTC, datetime, timedelta, timezone

    from ascms_tui.nztime import nz_date, nz_date_of_instant

    moment = datetime(2026, 1, 1, tzinfo=UTC)
    while moment.year == 2026:
        assert nz_date_of_instant(moment) == nz_date(moment)
        shifted = moment.astimezone(timezone(timedelta(hours=-5)))  # any aware instant works
        assert nz_date_of_instant(shifted) == nz_date(moment)
        moment += timedelta(minutes=7 * 60 + 7)
