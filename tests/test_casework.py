"""Case status changes and the plan rule, enforced by the store."""

from __future__ import annotations

import pytest

from ascms_tui.domain import Case, Plan, PlanStep, StatusChange
from ascms_tui.store import StoreError

from .conftest import make_case


def test_status_change_updates_case_and_records_the_change_in_one_go(store):
    case = store.create(make_case(status="Provider Queue"))
    before = len(store.changes())
    updated = store.change_status(case.id, "Open")
    assert updated.status == "Open"
    [change] = store.records(StatusChange, case.id)
    assert (change.from_status, change.to_status, change.reason) == ("Provider Queue", "Open", None)
    journal = store.changes()[before:]
    assert [(c.record_type, c.operation) for c in journal] == [("case", "update"), ("status_change", "create")]
    assert store.case_list_rows()[0].status == "Open"


def test_closing_needs_a_reason_and_records_it(store):
    case = store.create(make_case())
    with pytest.raises(StoreError, match="Moving a case to Closed needs a reason"):
        store.change_status(case.id, "Closed")
    assert store.get(Case, case.id).status == "Open"
    assert store.records(StatusChange, case.id) == []
    closed = store.change_status(case.id, "Closed", "Exemption granted for home education")
    assert (closed.status, closed.status_reason) == ("Closed", "Exemption granted for home education")
    reopened = store.change_status(case.id, "Open")
    assert (reopened.status, reopened.status_reason) == ("Open", None)


def test_transitions_not_allowed_are_refused_with_the_allowed_ones(store):
    case = store.create(make_case(status="Provider Queue"))
    with pytest.raises(StoreError, match="cannot go from Provider Queue to Paused; from Provider Queue it can go to "
                                          "Closed, Open"):
        store.change_status(case.id, "Paused", "Other")
    with pytest.raises(ValueError):
        store.change_status(case.id, "Archived")


def test_plan_in_progress_needs_a_step(store):
    case = store.create(make_case())
    with pytest.raises(StoreError, match="only be In Progress once it has at least one step"):
        store.create(Plan(case_id=case.id, status="In Progress"))
    assert store.records(Plan, case.id) == []

    plan = Plan(case_id=case.id, status="In Progress", goals="Full days by week 5")
    step = PlanStep(case_id=case.id, plan_id=plan.id, action="Morning routine chart", responsible="Whānau")
    store.create_all([plan, step])
    assert store.get(Plan, plan.id).status == "In Progress"
    assert store.cases_with_counted_plan() == {case.id}


def test_setting_in_progress_later_and_removing_the_last_step(store):
    case = store.create(make_case())
    plan = store.create(Plan(case_id=case.id))
    with pytest.raises(StoreError, match="at least one step"):
        store.update(Plan, plan.id, {"status": "In Progress"})
    step = store.create(PlanStep(case_id=case.id, plan_id=plan.id, action="Check-in", responsible="School"))
    store.update(Plan, plan.id, {"status": "In Progress"})
    with pytest.raises(StoreError, match="This is the plan's only step"):
        store.delete(PlanStep, step.id)
    assert store.get(PlanStep, step.id) is not None
    store.update(Plan, plan.id, {"status": "Draft"})
    store.delete(PlanStep, step.id)
    # Removing the whole plan takes its steps with it, whatever its status.
    store.create(PlanStep(case_id=case.id, plan_id=plan.id, action="Check-in", responsible="School"))
    store.update(Plan, plan.id, {"status": "In Progress"})
    store.delete(Plan, plan.id)
    assert store.records(PlanStep, case.id) == []


def test_save_plan_adds_changes_and_removes_steps_in_one_transaction(store):
    case = store.create(make_case())
    plan = Plan(case_id=case.id, status="In Progress", goals="Full days by week 5")
    first = PlanStep(case_id=case.id, plan_id=plan.id, action="Morning routine chart", responsible="Whānau")
    second = PlanStep(case_id=case.id, plan_id=plan.id, action="Weekly check-in", responsible="School")
    store.create_all([plan, first, second])
    before = len(store.changes())

    third = PlanStep(case_id=case.id, plan_id=plan.id, action="Bus pass", responsible="Provider")
    saved = store.save_plan(plan.id, {"goals": "Full days by week 6"},
                            [first.model_copy(update={"done": True}), third])

    assert saved.goals == "Full days by week 6"
    assert {(s.action, s.done) for s in store.records(PlanStep, case.id)} == {
        ("Morning routine chart", True), ("Bus pass", False)}
    journal = [(c.record_type, c.operation, c.record_id) for c in store.changes()[before:]]
    assert sorted(journal) == sorted([("plan_step", "update", first.id), ("plan_step", "create", third.id),
                                      ("plan_step", "delete", second.id), ("plan", "update", plan.id)])


def test_save_plan_checks_the_plan_rule_on_the_result(store):
    case = store.create(make_case())
    plan = Plan(case_id=case.id, status="In Progress")
    step = PlanStep(case_id=case.id, plan_id=plan.id, action="Check-in", responsible="School")
    store.create_all([plan, step])
    before = len(store.changes())
    # Removing every step while staying In Progress is refused, and nothing of the save is kept.
    with pytest.raises(StoreError, match="only be In Progress once it has at least one step"):
        store.save_plan(plan.id, {"goals": "changed"}, [])
    assert store.get(Plan, plan.id).goals == "" and store.get(PlanStep, step.id) is not None
    assert len(store.changes()) == before
    # Back to Draft in the same save: allowed.
    assert store.save_plan(plan.id, {"status": "Draft"}, []).status == "Draft"
    assert store.records(PlanStep, case.id) == []
    # And a Draft with a first step set In Progress at once.
    new_step = PlanStep(case_id=case.id, plan_id=plan.id, action="Morning call", responsible="Provider")
    assert store.save_plan(plan.id, {"status": "In Progress"}, [new_step]).status == "In Progress"
    assert store.cases_with_counted_plan() == {case.id}


def test_case_owners_lists_each_name_once(store):
    store.create(make_case("00000001", case_owner="Kiri Tomlinson"))
    store.create(make_case("00000002", case_owner="Kiri Tomlinson"))
    store.create(make_case("00000003", case_owner="Ana Invented"))
    store.create(make_case("00000004"))
    assert store.case_owners() == ["Ana Invented", "Kiri Tomlinson"]
