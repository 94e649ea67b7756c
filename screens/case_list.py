"""The first screen: one row per case."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header

from ascms_tui.nztime import format_nz_date
from ascms_tui.store import CaseListRow, Store
from widgets.literal import literal

COLUMNS = ("Case", "Student", "Type", "Status", "School", "Owner", "Referred", "Unsynced")


class CaseListScreen(Screen):
    BINDINGS = [Binding("r", "reload", "Reload", id="case_list.reload", tooltip="Read the cases again")]

    @property
    def store(self) -> Store:
        return self.app.store

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="cases", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*COLUMNS)
        self.action_reload()

    def action_reload(self) -> None:
        self.run_worker(self._load, thread=True, exclusive=True, group="case-list")

    def _load(self) -> None:
        rows = self.store.case_list_rows()
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows: list[CaseListRow]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        # Newest referrals first, as AS-CMS lists them.
        for row in sorted(rows, key=lambda r: (r.referral_date, r.case_number), reverse=True):
            table.add_row(
                literal(row.case_number),
                literal(row.student),
                literal(row.case_type),
                literal(row.status),
                literal(row.school),
                literal(row.case_owner or "—"),
                literal(format_nz_date(row.referral_day)),
                literal(row.unsynced or ""),
                key=row.id,
            )
        self.sub_title = f"{len(rows):,} cases"
