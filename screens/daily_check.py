"""The daily-close check: the practice guide's quick check, each item a jump to the work."""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from ascms_tui.daily_check import ITEM_TITLES, CheckItem, DailyCheck, run_check
from ascms_tui.nztime import format_nz_date
from ascms_tui.time_spent import hours_text
from widgets.key_bar import KeyBar
from widgets.literal import literal

FORM_RECORDS = {"event", "comment", "task"}


class DailyCheckScreen(Screen):
    CSS_PATH = "daily_check.tcss"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="daily_check.back", tooltip="Back to where you were"),
        Binding("left_square_bracket", "shift_day(-1)", "Day before", id="daily_check.day_before",
                tooltip="Check the day before"),
        Binding("right_square_bracket", "shift_day(1)", "Day after", id="daily_check.day_after",
                tooltip="Check the day after"),
        Binding("f5", "refresh_check", "Refresh", id="daily_check.refresh", tooltip="Run the check again"),
    ]

    def __init__(self, day: date | None = None) -> None:
        super().__init__()
        self.day = day
        self.items: dict[str, CheckItem] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Checking…", id="check-summary")
        yield OptionList(id="check-items")
        yield KeyBar()

    def on_mount(self) -> None:
        self.day = self.day or self.app.today()  # type: ignore[attr-defined]
        self.action_refresh_check()

    def on_screen_resume(self) -> None:
        if self.is_mounted and self.day is not None:
            self.action_refresh_check()  # a fix made from here shows at once

    def action_refresh_check(self) -> None:
        day = self.day
        self.run_worker(lambda: run_check(self.app.store, day), thread=True, exclusive=True,  # type: ignore[attr-defined]
                        group="daily-check", name="daily-check")

    def action_shift_day(self, days: int) -> None:
        self.day = self.day + timedelta(days=days)
        self.action_refresh_check()

    def on_worker_state_changed(self, event) -> None:
        if event.worker.name == "daily-check" and event.worker.is_finished and event.worker.result is not None:
            self.show(event.worker.result)

    def show(self, check: DailyCheck) -> None:
        self.sub_title = f"{check.day:%a} {format_nz_date(check.day)}"
        summary = Text()
        if check.outstanding:
            summary.append(f"{check.outstanding} thing(s) to look at before you close the laptop. ", style="bold")
        else:
            summary.append("Nothing outstanding: everything is recorded. ", style="bold")
        summary.append(f"Time recorded for {format_nz_date(check.day)}: {hours_text(check.time_today_minutes)}.")
        self.query_one("#check-summary", Static).update(summary)
        options: list[Option | None] = []
        self.items = {}
        for key, found in check.items.items():
            if not found:
                continue
            heading = Text(f"{ITEM_TITLES[key]} ({len(found)})", style="bold")
            options.append(Option(heading, disabled=True))
            for index, item in enumerate(found):
                option_id = f"{key}:{index}"
                self.items[option_id] = item
                line = Text("  ")
                line.append(item.case_number, style="bold")
                line.append("  ")
                line.append_text(literal(item.message))
                options.append(Option(line, id=option_id))
            options.append(None)
        items = self.query_one(OptionList)
        items.clear_options()
        items.add_options(options or [Option("Nothing to do. Well done.", disabled=True)])
        items.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        item = self.items.get(event.option.id or "")
        if item is None:
            return
        if item.record_type in FORM_RECORDS:
            self.app.open_form(item.record_type, item.case_id, item.record_id)  # type: ignore[attr-defined]
        else:
            self.app.open_case(item.case_id)  # type: ignore[attr-defined]
