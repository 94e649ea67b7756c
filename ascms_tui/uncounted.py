"""One rule for "will it count": records that look meant to count in reporting, but will not.

The practice guide "Recording for reporting" exists because work that was done went
uncounted in Quarter 1: recorded in a way the system could not recognise. For each case
this lists every such record and why:

- an Event whose subject is a near miss of an initial-meeting subject (case, spacing,
  abbreviations, macrons, "mtg", "hui", "whanau"): reporting counts only the exact
  subject, so the meeting is reported as not held;
- a Plan still in Draft (counted only In Progress with at least one step);
- a Plan In Progress with no step;
- a plan attached only as a file, with no Plan record that counts;
- a migrated case with no Case Owner.

Where one key can fix it, `fix` says how ("exact_subject", "set_in_progress"). The
daily check, the reporting screen, the case view and both `--json` reports read this.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .files import looks_like_plan
from .picklists import PlanStatus
from .subjects import exact_initial_subject

if TYPE_CHECKING:
    from .store import Store

EXACT_SUBJECT = "exact_subject"  # replace the subject with the exact one
SET_IN_PROGRESS = "set_in_progress"  # a Draft plan that has a step: set it In Progress


@dataclass(frozen=True, slots=True)
class Uncounted:
    case_id: str
    record: str  # the record's kind: event, plan, file or case
    id: str
    summary: str  # the Event's subject, the plan's goals, the file's name, the case number
    reason: str
    fix: str | None = None  # EXACT_SUBJECT, SET_IN_PROGRESS, or None when a person must act
    exact: str | None = None  # the exact subject, for EXACT_SUBJECT

    def to_json(self) -> dict[str, Any]:
        out = {"record": self.record, "id": self.id, "summary": self.summary, "reason": self.reason,
               "fix": self.fix}
        if self.record == "event":
            out["subject"] = self.summary
            out["exact_subject"] = self.exact
        return out


def uncounted_by_case(store: Store) -> dict[str, list[Uncounted]]:
    """Every case's records that reporting will not count, and why (cases with none are left out)."""
    found: list[Uncounted] = []
    near = {subject: exact for subject in store.event_subjects()
            if (exact := exact_initial_subject(subject)) is not None}
    for record_id, case_id, subject in store.events_with_subjects(near):
        exact = near[subject]
        found.append(Uncounted(case_id, "event", record_id, subject,
                               f"the subject is not exactly '{exact}', so reporting will not count this meeting",
                               EXACT_SUBJECT, exact))
    counted_plan: set[str] = set()
    for record_id, case_id, status, goals, steps in store.plans_with_step_counts():
        summary = _short(goals) or "Student Plan"
        if status == PlanStatus.DRAFT:
            found.append(Uncounted(case_id, "plan", record_id, summary,
                                   "the plan is Draft: reporting counts a plan In Progress with at least one step",
                                   SET_IN_PROGRESS if steps else None))
        elif status == PlanStatus.IN_PROGRESS and not steps:
            found.append(Uncounted(case_id, "plan", record_id, summary,
                                   "the plan has no step: reporting counts a plan with at least one step"))
        elif status == PlanStatus.IN_PROGRESS:
            counted_plan.add(case_id)
    for record_id, case_id, file_name in store.file_names():
        if looks_like_plan(file_name) and case_id not in counted_plan:
            found.append(Uncounted(case_id, "file", record_id, file_name,
                                   "a plan attached as a document is not counted: add it with Add Plan, with a "
                                   "step, and set it In Progress"))
    for case_id, case_number in store.migrated_cases_without_owner():
        found.append(Uncounted(case_id, "case", case_id, case_number,
                               "a migrated case needs a Case Owner for the migrated-case measures"))
    by_case: dict[str, list[Uncounted]] = {}
    for item in found:
        by_case.setdefault(item.case_id, []).append(item)
    return by_case


def _short(text: str, limit: int = 60) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[:limit - 1] + "…"
