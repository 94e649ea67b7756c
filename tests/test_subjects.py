"""Spotting subjects that nearly, but not exactly, name an initial meeting."""

from __future__ import annotations

import pytest

from ascms_tui.domain import (
    COMMON_EVENT_SUBJECTS,
    INITIAL_SCHOOL_MEETING,
    INITIAL_WHANAU_MEETING,
)
from ascms_tui.subjects import exact_initial_subject

SCHOOL, WHANAU = INITIAL_SCHOOL_MEETING, INITIAL_WHANAU_MEETING


@pytest.mark.parametrize(
    ("typed", "exact"),
    [
        # from the issue
        ("Initial Whanau Meeting", WHANAU),
        ("initial school mtg", SCHOOL),
        # case, spacing, slash and macron differences
        ("initial school meeting", SCHOOL),
        ("INITIAL SCHOOL MEETING", SCHOOL),
        ("Initial School Meeting ", SCHOOL),  # a trailing space would not count either
        ("Initial  School Meeting", SCHOOL),
        ("initial-school-meeting", SCHOOL),
        ("InitialSchoolMeeting", SCHOOL),
        ("Initial Student / Whanau Meeting", WHANAU),
        ("Initial Student/Whānau Meeting", WHANAU),
        ("initial student / whānau meeting", WHANAU),
        ("Initial Whānau Meeting", WHANAU),
        ("Initial Student Whanau Meeting", WHANAU),
        ("Initial Student and Whanau Meeting", WHANAU),
        ("Initial Whanau/Student meeting", WHANAU),
        ("Initial Student/Whanau", WHANAU),
        # abbreviations and synonyms
        ("init sch mtg", SCHOOL),
        ("1st school meeting", SCHOOL),
        ("First meeting with school", SCHOOL),
        ("Initial whanau hui", WHANAU),
        ("initial fam mtg", WHANAU),
        ("Initial family meeting", WHANAU),
        ("Initial student meeting", WHANAU),
        ("initial meeting with caregivers", WHANAU),
        # small typos
        ("Intial scool meting", SCHOOL),
        ("Initial Schol Meeting", SCHOOL),
        ("Inital Whanua Meeting", WHANAU),
        ("Initial Studnet / Whanau Meeting", WHANAU),
        ("initialschoolmtg", SCHOOL),
    ],
)
def test_near_misses_are_offered_the_exact_subject(typed, exact):
    assert exact_initial_subject(typed) == exact


@pytest.mark.parametrize(
    "typed",
    [
        # exact already: nothing to offer
        SCHOOL,
        WHANAU,
        # legitimate other subjects
        "School Meeting",
        "Home Visit",
        "Whānau Hui",
        "Whanau Hui",
        "Phone Call",
        "Phone call with whanau",
        "Multi-Agency Meeting",
        "Student Check-in",
        "Attendance Review Meeting",
        "Follow-up school meeting",
        "Other",
        "",
        "   ",
        # not clearly one of the two
        "Initial Meeting",
        "Initial School and Whanau Meeting",
        "Initial phone call",
        "Initial home visit",
        "Initial school meeting cancelled",
        "Initial whanau meeting - did not attend",
    ],
)
def test_other_subjects_are_left_alone(typed):
    assert exact_initial_subject(typed) is None


def test_no_common_subject_is_mistaken_for_an_initial_meeting():
    for subject in COMMON_EVENT_SUBJECTS:
        assert exact_initial_subject(subject) is None
