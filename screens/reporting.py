"""Reporting readiness: what the quarterly report will count, against the targets, and which cases to fix."""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from ascms_tui.calendar import add_business_days
from ascms_tui.nztime import format_nz_date
from ascms_tui.rules import MEASURES, build_report, caseload_facts
from widgets.key_bar import KeyBar

BAR_WIDTH = 30
MEETING_DUES = {
    "school_meeting_5": "school_meeting_due_5",
    "school_meeting_10": "school_meeting_due_10",
    "whanau_meeting_10": "whanau_meeting_due_10",
    "whanau_meeting_15": "whanau_meeting_due_15",
}


def measure_bar(percent: float | None, target: int | None) -> Text:
    """A text bar of the percentage with the target marked: works in any terminal and theme."""
    if percent is None:
        return Text("no cases decided yet".ljust(BAR_WIDTH + 2), style="dim")
    filled = round(percent / 100 * BAR_WIDTH)
    style = "green" if target is None or percent >= target else "red"
    bar = Text("▕")
    for column in range(BAR_WIDTH):
        at_target = target is not None and column == min(BAR_WIDTH - 1, round(target / 100 * BAR_WIDTH))
        bar.append("┃" if at_target else ("█" if column < filled else "░"), style="bold" if at_target else style)
    bar.append("▏")
    return bar


def cases_to_fix(report: dict, today: date) -> list[tuple[str, str]]:
    """(case number, what) for cases that missed a measure or whose deadline is within two business days."""
    soon = add_business_days(today, 2).isoformat()
    labels = {m.key: m.short for m in MEASURES}
    found = []
    for case in report["cases"]:
        notes = []
        for key, label in labels.items():
            if case[key] == "missed" and key in MEETING_DUES:
                due = date.fromisoformat(case[MEETING_DUES[key]])
                notes.append(f"{label}: missed (due {format_nz_date(due)})")
            elif case[key] == "missed":
                notes.append(f"{label}: missed")
            elif case[key] == "pending" and key in MEETING_DUES and case[MEETING_DUES[key]] <= soon:
                due = date.fromisoformat(case[MEETING_DUES[key]])
                notes.append(f"{label}: due {due:%a} {format_nz_date(due)}")
        if notes:
            found.append((case["case_number"], "; ".join(notes)))
    return found


class ReportingScreen(Screen):
    CSS_PATH = "reporting.tcss"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="reporting.back", tooltip="Back to where you were"),
        Binding("left_square_bracket", "shift(-7)", "Week before", id="reporting.week_before",
                tooltip="Assess as of a week earlier"),
        Binding("right_square_bracket", "shift(7)", "Week after", id="reporting.week_after",
                tooltip="Assess as of a week later"),
    ]

    def __init__(self, as_of: date | None = None) -> None:
        super().__init__()
        self.as_of = as_of
        self.case_ids: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Working out the measures…", id="measures")
        yield Static("", id="fix-heading")
        yield OptionList(id="cases-to-fix")
        yield KeyBar()

    def on_mount(self) -> None:
        self.as_of = self.as_of or self.app.today()  # type: ignore[attr-defined]
        self.load()

    def action_shift(self, days: int) -> None:
        self.as_of = self.as_of + timedelta(days=days)
        self.load()

    def load(self) -> None:
        as_of = self.as_of

        def work():
            facts = caseload_facts(self.app.store)  # type: ignore[attr-defined]
            return facts, build_report(facts, as_of)

        self.run_worker(work, thread=True, exclusive=True, group="reporting", name="reporting")

    def on_worker_state_changed(self, event) -> None:
        if event.worker.name == "reporting" and event.worker.is_finished and event.worker.result is not None:
            facts, report = event.worker.result
            self.case_ids = {f.case_number: f.case_id for f in facts}
            self.show(report)

    def show(self, report: dict) -> None:
        as_of = date.fromisoformat(report["as_of"])
        self.sub_title = f"as of {as_of:%a} {format_nz_date(as_of)} · {len(report['cases'])} cases"
        chart = Text()
        for measure in report["measures"].values():
            percent, target = measure["percent"], measure["target"]
            chart.append(f"{measure['label']}\n", style="bold")
            chart.append_text(measure_bar(percent, target))
            shown = "—" if percent is None else f"{percent:.1f}%"
            chart.append(f" {shown:>6}")
            chart.append(f"  target {target}%" if target is not None else "  no target set", style="dim")
            chart.append(
                f"   met {measure['met']} · missed {measure['missed']} · pending {measure['pending']}"
                f" · n/a {measure['not_applicable']}\n"
            )
        self.query_one("#measures", Static).update(chart)
        found = cases_to_fix(report, as_of)
        self.query_one("#fix-heading", Static).update(
            Text(f"Cases that missed a measure or are due within two business days ({len(found)})", style="bold")
        )
        options = []
        for number, what in found:
            line = Text(number, style="bold")
            line.append(f"  {what}")
            options.append(Option(line, id=number))
        listing = self.query_one(OptionList)
        listing.clear_options()
        listing.add_options(options or [Option("None: every case is on track.", disabled=True)])
        listing.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        case_id = self.case_ids.get(event.option.id or "")
        if case_id:
            self.app.open_case(case_id)  # type: ignore[attr-defined]
