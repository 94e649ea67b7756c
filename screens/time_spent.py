"""Time spent on case management: per week, day and case, with CSV export for timesheets."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

from platformdirs import user_documents_path
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from ascms_tui.nztime import format_nz_date
from ascms_tui.time_spent import TimeEntry, hours_text, time_entries, to_csv, totals
from widgets.key_bar import KeyBar


class TimeSpentScreen(Screen):
    CSS_PATH = "time_spent.tcss"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="time_spent.back", tooltip="Back to where you were"),
        Binding("left_square_bracket", "shift(-7)", "Week before", id="time_spent.week_before",
                tooltip="Show the four weeks ending a week earlier"),
        Binding("right_square_bracket", "shift(7)", "Week after", id="time_spent.week_after",
                tooltip="Show the four weeks ending a week later"),
        Binding("x", "export_csv", "Export CSV", id="time_spent.export",
                tooltip="Write these records as CSV for your timesheet"),
    ]

    def __init__(self, end: date | None = None, export_folder: Path | None = None) -> None:
        super().__init__()
        self.end = end
        self.export_folder = export_folder
        self.entries: list[TimeEntry] = []

    @property
    def start(self) -> date:
        # Four weeks, Monday to the end date's Sunday.
        return self.end - timedelta(days=self.end.weekday() + 21)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Adding up…", id="time-heading")
        with Horizontal(id="time-tables"):
            for key in ("week", "day", "case"):
                with VerticalScroll(classes="time-column"):
                    yield Static("", id=f"time-{key}")
        yield KeyBar()

    def on_mount(self) -> None:
        self.end = self.end or self.app.today()  # type: ignore[attr-defined]
        self.load()

    def action_shift(self, days: int) -> None:
        self.end += timedelta(days=days)
        self.load()

    def load(self) -> None:
        start, end = self.start, self.end
        self.run_worker(lambda: time_entries(self.app.store, start, end), thread=True,  # type: ignore[attr-defined]
                        exclusive=True, group="time", name="time")

    def on_worker_state_changed(self, event) -> None:
        if event.worker.name == "time" and event.worker.is_finished and event.worker.result is not None:
            self.entries = event.worker.result
            self.show()

    def show(self) -> None:
        self.sub_title = f"{format_nz_date(self.start)} to {format_nz_date(self.end)}"
        summary = totals(self.entries)
        total = sum(e.minutes for e in self.entries)
        for title, key in (("Week of", "week"), ("Day", "day"), ("Case", "case")):
            table = Table(title=f"Per {key}", title_justify="left", show_edge=False, pad_edge=False)
            table.add_column(title)
            table.add_column("Time", justify="right")
            for name, minutes in summary[key].items():
                shown = format_nz_date(date.fromisoformat(name)) if key != "case" else name
                table.add_row(Text(shown), hours_text(minutes))
            self.query_one(f"#time-{key}", Static).update(table)
        heading = Text(f"{hours_text(total)} recorded over {len(self.entries)} records", style="bold")
        self.query_one("#time-heading", Static).update(heading)

    def action_export_csv(self) -> None:
        folder = self.export_folder or user_documents_path()
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"ascms-time-{self.start.isoformat()}-to-{self.end.isoformat()}.csv"
        # Names and case numbers of children: readable by this user only.
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as out:
            out.write(to_csv(self.entries))
        self.notify(f"Saved {len(self.entries)} records to {target}", title="Time spent exported")

