"""Retention: closed cases leave the laptop once AS-CMS has all of them.

A case is purged when it is Closed, was closed more than the retention period
ago (default 30 days, `retention_days` in Settings), and every change to it
has reached AS-CMS (nothing pending or set aside, no open conflict). AS-CMS
keeps the case; only this laptop's copy goes: records, journal, drafts and
attached files. Anything not yet synced is never purged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .nztime import nz_date_of_stored
from .store import StoreError

DEFAULT_DAYS = 30

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Candidate:
    case_id: str
    case_number: str
    closed_on: date  # NZ date of the last move to Closed (or of the last change, if no history says)
    days_closed: int
    unsynced: int  # changes not yet in AS-CMS, plus open conflicts

    @property
    def purgeable(self) -> bool:
        return self.unsynced == 0


@dataclass(frozen=True, slots=True)
class PurgePlan:
    days: int
    due: list[Candidate]  # closed long enough: purged unless unsynced
    purgeable: list[Candidate]
    kept_unsynced: list[Candidate]  # closed long enough, but AS-CMS does not have everything yet


# The closing date: the latest status change to Closed; without one (a case that came
# closed from AS-CMS), the latest thing recorded about it here.
_CLOSED_CASES = """
SELECT c.id, c.case_number,
       COALESCE(
         (SELECT MAX(s.changed_at) FROM status_changes s WHERE s.case_id = c.id AND s.to_status = 'Closed'),
         (SELECT MAX(g.created_at) FROM changes g WHERE g.case_id = c.id),
         c.created_at),
       (SELECT count(*) FROM changes g WHERE (g.case_id = c.id OR g.record_id = c.id) AND g.status != 'done')
       + (SELECT count(*) FROM conflicts f WHERE f.case_id = c.id AND f.resolved_at IS NULL)
FROM cases c WHERE c.status = 'Closed' ORDER BY c.case_number
"""


def plan_purge(store, days: int, today: date) -> PurgePlan:
    """Which closed cases are due for purging, and which of them must wait for sync."""
    if days < 0:
        raise ValueError(f"The retention period must be 0 days or more (got {days})")
    due = []
    for case_id, number, closed_at, unsynced in store.read(_CLOSED_CASES):
        closed_on = nz_date_of_stored(closed_at)
        age = (today - closed_on).days
        if age > days:
            due.append(Candidate(case_id, number, closed_on, age, unsynced))
    return PurgePlan(
        days=days,
        due=due,
        purgeable=[c for c in due if c.purgeable],
        kept_unsynced=[c for c in due if not c.purgeable],
    )


def purge(store, days: int, today: date, *, files_base: Path | None = None) -> list[Candidate]:
    """Remove the purgeable cases (and their attached files' copies). Returns those removed."""
    from .domain import CaseFile
    from .files import stored_path

    removed = []
    for candidate in plan_purge(store, days, today).purgeable:
        try:
            files = store.purge_case(candidate.case_id)  # checks again, in its own transaction
        except StoreError:
            continue  # changed since the plan (reopened, or edited): kept
        for record_id, file_name in files:
            copy = stored_path(CaseFile.model_construct(id=record_id, file_name=file_name), files_base)
            for path in (copy, copy.with_name(copy.name + ".rekey")):
                path.unlink(missing_ok=True)
        removed.append(candidate)
    log.info("purge removed %d closed cases", len(removed))
    return removed
