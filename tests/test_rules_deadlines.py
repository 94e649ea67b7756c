"""The case list's "next deadline", checked against hand-counted business days."""

from datetime import date

from ascms_tui.deadlines import next_deadline


def deadline(today, *, school=None, whanau=None, current=True, status="Open", referral=date(2026, 4, 1)):
    return next_deadline(referral_date=referral, status=status, school_meeting=school, whanau_meeting=whanau,
                         has_current_contact=current, today=today)


def test_school_meeting_due_on_fifth_business_day_skipping_easter():
    # Referral Wed 1 Apr 2026: Thu 2 (1), Tue 7 (2) after Good Friday and Easter Monday, Wed 8 (3), Thu 9 (4), Fri 10 (5).
    found = deadline(date(2026, 4, 1))
    assert (found.label, found.due, found.passed) == ("School mtg", date(2026, 4, 10), False)
    assert found.describe() == "School mtg due Fri 10 Apr"


def test_after_the_fifth_day_the_tenth_is_next():
    # Day 10 after 1 Apr: Mon 13 (6), Tue 14 (7), Wed 15 (8), Thu 16 (9), Fri 17 (10).
    found = deadline(date(2026, 4, 11))
    assert (found.label, found.due) == ("School mtg", date(2026, 4, 17))


def test_whanau_meeting_when_school_met():
    found = deadline(date(2026, 4, 11), school=date(2026, 4, 3))
    # Whānau day 10 is also Fri 17 Apr.
    assert (found.label, found.due, found.business_days) == ("Whānau mtg", date(2026, 4, 17), 10)


def test_no_current_contact_means_no_whanau_deadline():
    assert deadline(date(2026, 4, 11), school=date(2026, 4, 3), current=False) is None


def test_all_passed_shows_the_last_in_red():
    # Whānau day 15 after 1 Apr: Mon 20 .. Fri 24 (11-15), but Anzac Day observed is Mon 27, not in range.
    found = deadline(date(2026, 5, 20))
    assert (found.label, found.due, found.passed) == ("Whānau mtg", date(2026, 4, 24), True)


def test_closed_or_met_cases_have_no_deadline():
    assert deadline(date(2026, 4, 2), status="Closed") is None
    assert deadline(date(2026, 4, 3), school=date(2026, 4, 2), whanau=date(2026, 4, 3)) is None


def test_a_meeting_booked_ahead_meets_its_deadline_on_its_day():
    booked = date(2026, 4, 9)  # the school meeting, entered ahead for Thu 9 Apr
    assert deadline(date(2026, 4, 8), school=booked).describe() == "School mtg due Fri 10 Apr"
    assert deadline(booked, school=booked).describe() == "Whānau mtg due Fri 17 Apr"


def test_recorded_after_the_next_working_day_is_late():
    from ascms_tui.rules import is_late, recording_due

    # Thursday 2 Apr 2026: Good Friday and Easter Monday follow, so the next working day is Tue 7 Apr.
    assert recording_due(date(2026, 4, 2)) == date(2026, 4, 7)
    assert not is_late(date(2026, 4, 2), date(2026, 4, 7))
    assert is_late(date(2026, 4, 2), date(2026, 4, 8))
    # Friday 24 Apr: Anzac Day is observed Monday 27 Apr, so Tuesday 28 Apr is still on time.
    assert not is_late(date(2026, 4, 24), date(2026, 4, 28))


def test_notes_gap_after_five_business_days():
    from ascms_tui.rules import notes_gaps

    # Home visit Mon 6 Jul 2026: Tue 7 (1), Wed 8 (2), Thu 9 (3), Fri 10 Matariki, Mon 13 (4), Tue 14 (5).
    visit = ("visit", date(2026, 7, 6), None)
    assert notes_gaps([visit], [], date(2026, 7, 14)) == []  # still time today
    [gap] = notes_gaps([visit], [], date(2026, 7, 15))
    assert (gap.record_id, gap.notes_due) == ("visit", date(2026, 7, 14))
    assert notes_gaps([visit], [date(2026, 7, 10)], date(2026, 7, 20)) == []  # a comment counts
    assert notes_gaps([("visit", date(2026, 7, 6), date(2026, 7, 14))], [], date(2026, 7, 20)) == []
    assert len(notes_gaps([("visit", date(2026, 7, 6), date(2026, 7, 15))], [], date(2026, 7, 20))) == 1
