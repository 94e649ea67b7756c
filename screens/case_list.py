"""The first screen: one line per case, filtered as you type.

Rows come from the database in a thread worker, which also works out
everything a keystroke or a sort needs (a folded search string, business days
since referral, the next deadline), so that filtering 10,000 cases is a
substring scan and drawing is the table's job for the visible lines only.

At start-up the app reads just the screenful the list opens on
(`case_list_query.first_page`, sorted inside SQLite) and the screen shows it in
its first frame; the worker then loads every case. Until it has, the filter
and scope keys wait for the full list.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
from operator import attrgetter
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Input

from ascms_tui.case_list_query import CaseListRow, DeadlineLookup, FirstPage
from ascms_tui.picklists import CaseStatus
from widgets.case_table import CaseEntry, CaseTable, sort_entries
from widgets.key_bar import KeyBar
from widgets.scope_bar import SCOPE_LABELS, ScopeBar
from widgets.sync_status import SyncStatus

if TYPE_CHECKING:
    from ascms_tui.store import Store

SCOPES = tuple(SCOPE_LABELS)  # mine, all, closed: the scope bar's tabs, in order
EMPTY_SCOPE_NAMES = {"mine": "open cases of yours", "all": "cases", "closed": "closed cases"}
# A closed case has no deadline; in "My open" every owner is me: those columns make way for others.
SCOPE_HIDDEN_COLUMNS = {"mine": {"owner"}, "all": set(), "closed": {"deadline"}}
CLOSED = CaseStatus.CLOSED.value

_COMBINING_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def fold(text: str) -> str:
    """Lower case without diacritics, so "whanau" finds "Whānau" and "tui" finds "Tūī"."""
    text = text.lower()
    if text.isascii():
        return text
    return _COMBINING_MARKS.sub("", unicodedata.normalize("NFD", text))


def build_entries(rows: Sequence[CaseListRow], *, today: date, user_name: str | None) -> list[CaseEntry]:
    """Everything the list shows, searches and sorts by, for every case (run off the UI thread)."""
    # Imported here: the holiday calendar loads in the worker, not before the first paint.
    from ascms_tui.calendar import business_days_between

    deadline_of = DeadlineLookup(today).of_row
    folded: dict[str, str] = {}
    days_since: dict[str, int] = {}

    def fold_once(text: str) -> str:
        value = folded.get(text)
        if value is None:
            value = folded[text] = fold(text)
        return value

    new_entry = partial(tuple.__new__, CaseEntry)  # positional and unchecked: 10,000 of them
    entries = []
    for row in rows:
        days = days_since.get(row.referral_date)
        if days is None:
            days = days_since[row.referral_date] = business_days_between(row.referral_day, today)
        deadline = deadline_of(row)  # memoised: tests check it against direct next_deadline calls
        student, school = fold_once(row.student), fold_once(row.school)
        entries.append(new_entry((
            row.id,
            row.case_number,
            row.student,
            row.student_name,
            row.case_type,
            row.status,
            row.school,
            row.case_owner,
            row.referral_date,
            days,
            *deadline,
            row.unsynced,
            # \x1f keeps a search from matching across two fields.
            f"{row.case_number}\x1f{student}\x1f{fold_once(row.student_name)}\x1f{school}\x1f{row.status.lower()}",
            student,
            school,
            fold_once(row.case_owner) if row.case_owner else None,
            row.case_owner == user_name and row.status != CLOSED if user_name else False,
            row.status == CLOSED,
        )))
    return entries


def matching(entries: list[CaseEntry], query: str) -> list[CaseEntry]:
    """The entries whose number, names, school or status contain every word of `query` (folded)."""
    words = fold(query).split()
    if not words:
        return entries
    if len(words) == 1:
        word = words[0]
        return [entry for entry in entries if word in entry.search]
    return [entry for entry in entries if all(word in entry.search for word in words)]


SCOPE_TESTS: dict[str, Callable[[CaseEntry], bool]] = {
    "mine": attrgetter("mine_open"),
    "all": lambda entry: True,
    "closed": attrgetter("closed"),
}


class CaseListScreen(Screen):
    BINDINGS: ClassVar = [
        Binding("f2", "scope('mine')", "My open", id="case_list.scope_mine",
                tooltip="Show my cases that are not closed"),
        Binding("f3", "scope('all')", "All", id="case_list.scope_all", tooltip="Show every case"),
        Binding("f4", "scope('closed')", "Closed", id="case_list.scope_closed", tooltip="Show closed cases"),
        Binding("escape", "clear_filter", "Clear filter", id="case_list.clear_filter",
                tooltip="Clear the filter and go back to typing one"),
        Binding("slash", "focus_filter", "Filter", id="case_list.focus_filter",
                tooltip="Type to filter by case number, student, school or status", show=False),
        Binding("down", "focus_table", "To the list", id="case_list.to_table",
                tooltip="Move from the filter into the list", show=False),
        Binding("f5", "reload", "Reload", id="case_list.reload", tooltip="Read the cases again", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.scope: str | None = None  # chosen on the first load
        self.total = 0
        self.counts = {scope: 0 for scope in SCOPES}
        self._loaded_once = False
        self._partial = False  # showing only the first screenful while every case loads
        # (all entries, folded query, matches) of the last filter, to narrow as the user types on
        self._last_match: tuple[list[CaseEntry] | None, str, list[CaseEntry]] = (None, "", [])

    @property
    def store(self) -> Store:
        return self.app.store

    @property
    def table(self) -> CaseTable:
        return self.query_one(CaseTable)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#filter", Input)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="Type to filter: case number, student, school, status", id="filter",
                    select_on_focus=False)
        yield ScopeBar(id="scope-bar")
        yield CaseTable(id="cases")
        yield SyncStatus(id="sync-status")  # empty until the counts are read after the full load
        yield KeyBar()

    def on_mount(self) -> None:
        self.filter_input.focus()
        # One screenful read before the first frame (bounded by LIMIT), so it paints with rows in it.
        opening = self.app.read_first_page(limit=self.app.size.height + 20)
        if opening is not None:
            self._show_first_page(opening)
            self._start_load(after=self.table.shown_painted)
        else:
            self._start_load()

    def on_screen_resume(self) -> None:
        # Back from a case: an event or sync may have changed its deadline or unsynced count.
        if self._loaded_once:
            self.action_reload()

    # -- loading ---------------------------------------------------------------------

    def action_reload(self) -> None:
        self._start_load()

    def _start_load(self, after: threading.Event | None = None) -> None:
        sort = (self.table.sort_column, self.table.sort_reverse)
        self.run_worker(partial(self._load, *sort, after=after), thread=True, exclusive=True,
                        group="case-list", name="load cases")

    def _load(self, sort_column: str, sort_reverse: bool, *, after: threading.Event | None) -> None:
        if after is not None:
            after.wait(1.0)  # let the first frame reach the terminal before the heavy load
        app = self.app
        today = app.today()
        entries = build_entries(self.store.case_list_rows(), today=today, user_name=app.user_name)
        entries = sort_entries(entries, sort_column, sort_reverse)
        app.call_from_thread(self._loaded, entries, (sort_column, sort_reverse))

    def _show_first_page(self, page: FirstPage) -> None:
        """The opening screenful (in the table's opening order, next deadline first) until every case is loaded."""
        entries = build_entries(page.rows, today=self.app.today(), user_name=self.app.user_name)
        self._partial = True
        self.scope, self.counts, self.total = page.scope, page.counts, page.counts["all"]
        table = self.table
        table.set_entries(entries, ("deadline", False))  # what first_page's ORDER BY gives
        table.hide_columns(SCOPE_HIDDEN_COLUMNS[self.scope])
        table.empty_message = f"No {EMPTY_SCOPE_NAMES[self.scope]}"
        table.show(entries)
        self.sub_title = f"{self.total:,} cases"
        self._show_counts(page.counts[self.scope])

    def _loaded(self, entries: list[CaseEntry], sorted_by: tuple[str, bool]) -> None:
        self._partial = False
        table = self.table
        keep = table.current.id if table.current else None
        table.set_entries(entries, sorted_by)
        self.total = len(entries)
        if self.scope is None:
            has_mine = any(entry.mine_open for entry in entries)
            self.scope = "mine" if self.app.user_name and has_mine else "all"
        table.hide_columns(SCOPE_HIDDEN_COLUMNS[self.scope])
        self._loaded_once = True
        self.sub_title = f"{self.total:,} cases"
        self.apply_filter(keep_case=keep)
        self.app.case_list_loaded()

    # -- filtering -------------------------------------------------------------------

    def apply_filter(self, keep_case: str | None = None) -> None:
        """Show the cases in the scope that match the filter; count every scope's matches."""
        if self.scope is None or self._partial:  # not loaded yet: the full load applies it
            return
        table = self.table
        entries, query = table.all_entries, fold(self.filter_input.value).strip()
        pool = entries
        last_entries, last_query, last_matches = self._last_match
        if last_entries is entries and last_query and query.startswith(last_query):
            pool = last_matches  # typing on narrows the last result: no need to scan everything
        matches = matching(pool, query)
        self._last_match = (entries, query, matches)
        self.counts = {
            "mine": sum(entry.mine_open for entry in matches),
            "all": len(matches),
            "closed": sum(entry.closed for entry in matches),
        }
        shown = matches if self.scope == "all" else list(filter(SCOPE_TESTS[self.scope], matches))
        if query:
            table.empty_message = f"No {EMPTY_SCOPE_NAMES[self.scope]} match “{self.filter_input.value.strip()}”"
        else:
            table.empty_message = f"No {EMPTY_SCOPE_NAMES[self.scope]}"
        table.show(shown, keep_case=keep_case)
        self._show_counts(len(shown))

    def _show_counts(self, shown: int) -> None:
        filtered = " matching the filter" if self.filter_input.value.strip() else ""
        self.query_one(ScopeBar).show(self.scope, self.counts, f"{shown:,} of {self.total:,} cases{filtered}")

    @on(ScopeBar.Chosen)
    def _scope_chosen(self, message: ScopeBar.Chosen) -> None:
        self.action_scope(message.scope)

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self.apply_filter()  # a new search starts at its top match

    @on(Input.Submitted, "#filter")
    def _open_top_match(self) -> None:
        self.table.action_open()

    @on(CaseTable.Opened)
    def _open_case(self, message: CaseTable.Opened) -> None:
        self.app.open_case(message.case_id)

    def action_scope(self, scope: str) -> None:
        if scope not in SCOPES or self.scope is None:
            return
        if self._partial:  # the full load shows it
            self.scope = scope
            return
        keep = self.table.current.id if self.table.current else None
        self.scope = scope
        self.table.hide_columns(SCOPE_HIDDEN_COLUMNS[scope])
        self.apply_filter(keep_case=keep)

    def action_clear_filter(self) -> None:
        if self.filter_input.value:
            self.filter_input.value = ""  # Input.Changed re-applies the filter
        self.filter_input.focus()

    def action_focus_filter(self) -> None:
        self.filter_input.focus()

    def action_focus_table(self) -> None:
        self.table.focus()
