"""The Privacy Act export of one case, from the case view (`p`) or the palette.

The user picks PDF, HTML or JSON; a worker builds the document
(ascms_tui/privacy_export.py: every record, the timeline and the audit history)
and writes it readable only by the user, in an `ascms-tui-exports` folder in
their Documents folder, then a notification names the file.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from ascms_tui.domain import Case
from ascms_tui.store import StoreError
from widgets.case_header import student_names
from widgets.key_bar import KeyBar
from widgets.literal import literal

log = logging.getLogger(__name__)

FOLDER_NAME = "ascms-tui-exports"
CHOICES = (
    ("pdf", "PDF", "to read, print or send"),
    ("html", "HTML", "opens in a web browser"),
    ("json", "JSON", "for another program"),
)


def export_folder() -> Path:
    """Where exports go: a private folder in the user's Documents folder."""
    from platformdirs import user_documents_path

    return user_documents_path() / FOLDER_NAME


def export_target(folder: Path, case_number: str, day: date, fmt: str) -> Path:
    """A new file name: privacy-export-00307473-2026-06-30.pdf, then -2, -3 on the same day."""
    stem = f"privacy-export-{case_number}-{day.isoformat()}"
    target, number = folder / f"{stem}.{fmt}", 1
    while target.exists():
        number += 1
        target = folder / f"{stem}-{number}.{fmt}"
    return target


def write_export(app: App, case_id: str, fmt: str, folder: Path) -> Path:
    """Build the export and write it, 0600 in a 0700 folder (runs in a worker)."""
    from ascms_tui.permissions import private_dir, write_private_file
    from ascms_tui.privacy_export import build

    store, today = app.store, app.today()  # type: ignore[attr-defined]
    case = store.get(Case, case_id)
    if case is None:
        raise StoreError("This case is no longer on this laptop.")
    data = build(store, case_id, fmt, today=today)
    return write_private_file(export_target(private_dir(folder), case.case_number, today, fmt), data)


def start_export(app: App, case_id: str, fmt: str, folder: Path | None = None) -> None:
    """Write the export in a worker; say where it went (or why not) when done."""
    folder = folder or export_folder()
    label = fmt.upper()

    def run() -> None:
        try:
            target = write_export(app, case_id, fmt, folder)
        except (StoreError, OSError) as error:
            log.warning("privacy export not written (%s)", type(error).__name__)
            app.call_from_thread(app.notify, f"The {label} export was not written: {error}",
                                 title="Privacy Act export", severity="error", markup=False)
            return
        app.call_from_thread(app.notify, f"Written to {target}, readable only by you. Delete it once the request "
                             "is answered.", title=f"Privacy Act export ({label})", timeout=20, markup=False)

    app.notify(f"Writing the {label} export…", title="Privacy Act export")
    app.run_worker(run, thread=True, group="privacy-export", name=f"privacy export {fmt}", exit_on_error=False)


class PrivacyExportDialog(ModalScreen[None]):
    """Choose the export's format; the export is written in the background."""

    CSS_PATH = "export_dialog.tcss"
    AUTO_FOCUS = "#export-formats"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="export.cancel", tooltip="Close without exporting"),
    ]

    def __init__(self, case_id: str, folder: Path | None = None) -> None:
        super().__init__()
        self.case_id = case_id
        self.folder = folder

    def compose(self) -> ComposeResult:
        case = self.app.store.get(Case, self.case_id)  # type: ignore[attr-defined]  # one row
        folder = self.folder or export_folder()
        with Vertical(classes="dialog"):
            yield Label("Privacy Act export", classes="dialog-title")
            if case is None:
                yield Static("This case is no longer on this laptop.", classes="dialog-detail")
                return
            about = literal(f"Everything this laptop holds about {student_names(case)} (case {case.case_number}): "
                            "every record, the timeline and the audit history, for a Privacy Act or OIA request.")
            yield Static(about, classes="dialog-detail")
            yield OptionList(
                *(Option(f"{name:<5} {use}", id=fmt) for fmt, name, use in CHOICES), id="export-formats"
            )
            yield Static(
                literal(f"Written to {folder}, readable only by you. It is not encrypted: treat it like "
                        "paper, and review it before release (it may name other people)."),
                classes="dialog-detail", id="export-where",
            )
        yield KeyBar()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(None)
        start_export(self.app, self.case_id, event.option.id or "pdf", self.folder)

    def action_cancel(self) -> None:
        self.dismiss(None)
