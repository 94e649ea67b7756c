"""Command palette: go to a case; new records, status and owner for the open case; the day's screens; sync."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

# The case record's forms: (kind, command, help).
RECORD_COMMANDS = (
    ("contact", "Add contact", "Whānau, caregiver, school staff or another professional"),
    ("barrier", "Add barrier", "What gets in the way of attendance"),
    ("plan", "Add Plan (Student Plan)", "Goals and steps; In Progress once it has a step"),
    ("service", "Add service or referral", "Agency, NGO, community provider, multi-agency forum, OT s19"),
    ("ubnf", "Add UBNF support", "Unmet Basic Needs Fund: what was provided, amount, barrier"),
    ("info_request", "Add info request", "MSD or Immigration New Zealand"),
    ("file", "Attach a file", "A document from this computer, queued for upload"),
)


def _push_case_dialog(app, name: str, case_id: str) -> None:
    _push_screen(app, "case_dialogs", name, case_id)


def _push_screen(app, module: str, name: str, case_id: str) -> None:
    # Imported when chosen: the palette itself stays light.
    from importlib import import_module

    app.push_screen(getattr(import_module(f"screens.{module}"), name)(case_id))


class CaseCommands(Provider):
    """Command palette: go to a case; new event / comment / task for the open case; sync."""

    def _open_case_id(self) -> str | None:
        # The screen the palette was opened from (the palette itself is on top now).
        return getattr(self.screen, "case_id", None)

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app = self.app
        commands: list[tuple[str, Callable[[], object], str]] = []
        case_id = self._open_case_id()
        if case_id is not None:
            for kind, label in (("event", "event"), ("comment", "case comment"), ("task", "task")):
                commands.append(
                    (f"New {label} for this case", partial(app.open_form, kind, case_id), f"Record a new {label}")
                )
            for kind, name, help_text in RECORD_COMMANDS:
                commands.append((f"{name} for this case", partial(app.open_form, kind, case_id), help_text))
            commands.append(("Change case status", partial(_push_case_dialog, app, "CaseStatusDialog", case_id),
                             "Open, Paused, Transition or Closed, with a reason where needed"))
            commands.append(("Change case owner", partial(_push_case_dialog, app, "CaseOwnerDialog", case_id),
                             "Assign the case to someone (the migrated-cases measure needs an owner)"))
            commands.append(("History of this case", partial(_push_screen, app, "audit", "AuditScreen", case_id),
                             "Who changed what and when, each value before and after"))
            commands.append(("Privacy Act export of this case",
                             partial(_push_screen, app, "export_dialog", "PrivacyExportDialog", case_id),
                             "Everything held about this student, as PDF, HTML or JSON"))
        commands.append(("Daily check", app.action_daily_check, "Before you close the laptop: what is missing today"))
        commands.append(("Reporting readiness", app.action_reporting, "What the quarterly report will count"))
        commands.append(("Time spent", app.action_time_spent, "Hours and minutes per week, day and case; CSV"))
        commands.append(("Lock now", app.action_lock, "Hide all case data until you unlock (ctrl+l)"))
        commands.append(("Sync now", app.action_sync_now, "Send queued changes to AS-CMS and bring back central changes"))
        commands.append(("Sync: set-aside changes and conflicts", app.action_sync_screen,
                         "What AS-CMS refused, with its message; fields changed both here and in AS-CMS"))
        return commands

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
        # "Go to case …": by number or student name.
        app = self.app
        if len(query.strip()) < 2:
            return
        rows = await asyncio.to_thread(app.store.case_list_rows)  # off the UI thread
        for row in rows:
            name = f"Go to case {row.case_number} {row.student} ({row.school})"
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(app.open_case, row.id), help=row.status)
