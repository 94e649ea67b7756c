"""Unsaved form text from last time, offered back at start-up.

Forms keep what is typed as a draft in the local store every few seconds, so
text survives a crash, a flat battery or a closed terminal. On the next start
the app shows this dialog: restore a draft into its form, discard it (after
asking), or leave it for later.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Header, Label, OptionList, Static
from textual.widgets.option_list import Option

from ascms_tui.domain import Case
from ascms_tui.nztime import format_nz_date, format_nz_time, nz_date
from ascms_tui.store import Draft
from widgets.key_bar import KeyBar
from widgets.literal import literal

FORM_LABELS = {
    "event": "Event", "comment": "Case Comment", "task": "Task",
    # The case record's forms (screens/record_forms.py).
    "contact": "Contact", "barrier": "Barrier", "plan": "Student Plan", "service": "Service",
    "ubnf": "UBNF support", "info_request": "Info Request", "file": "File",
}
# The field whose text best reminds the user what a draft was.
_SNIPPET_FIELDS = ("body", "description", "subject")


def describe_draft(draft: Draft, case: Case | None, today) -> str:
    """Unsaved Event for case 00304422 (Naki), last typed 2:14 pm: 'Met with the attendance lead…'."""
    label = FORM_LABELS.get(draft.form, draft.form)
    article = "an" if label[0] in "AEIOU" else "a"
    what = f"Unsaved {label}" if draft.record_id is None else f"Unsaved changes to {article} {label}"
    whose = f"case {case.case_number} ({case.student.display_name})" if case else "a case no longer on this laptop"
    when = _last_typed(draft.updated_at, today)
    snippet = next(
        (str(draft.content[key]).strip() for key in _SNIPPET_FIELDS if str(draft.content.get(key) or "").strip()),
        "",
    )
    snippet = " ".join(snippet.split())
    if len(snippet) > 40:
        snippet = snippet[:40].rstrip() + "…"
    return f"{what} for {whose}, last typed {when}" + (f": '{snippet}'" if snippet else "")


def _last_typed(updated_at: str, today) -> str:
    try:
        instant = datetime.fromisoformat(updated_at)
    except ValueError:
        return "at an unknown time"
    day = nz_date(instant)
    shown = format_nz_time(instant)
    return shown if day == today else f"{format_nz_date(day)}, {shown}"


class DiscardDraftScreen(ModalScreen[str | None]):
    """Ask before typed text is thrown away. Dismisses with "keep", "discard" or None (go back)."""

    CSS_PATH = "drafts.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("k", "choose('keep')", "Keep draft", id="discard_draft.keep",
                tooltip="Keep the typed text as a draft to carry on later"),
        Binding("d", "choose('discard')", "Discard", id="discard_draft.discard",
                tooltip="Throw the typed text away"),
        Binding("escape", "choose('back')", "Back", id="discard_draft.back",
                tooltip="Go back without changing anything"),
    ]

    def __init__(self, question: str, detail: str | Text, *, keep_label: str = "Keep draft",
                 back_label: str | None = "Back to form") -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.keep_label = keep_label
        self.back_label = back_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title")
            yield Static(self.detail, classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.keep_label} (k)", id="keep", variant="primary")
                yield Button("Discard (d)", id="discard", variant="error")
                if self.back_label:
                    yield Button(f"{self.back_label} (esc)", id="back")
        yield KeyBar()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_choose(event.button.id or "back")

    def action_choose(self, choice: str) -> None:
        self.dismiss(None if choice == "back" else choice)


class DraftRestoreScreen(ModalScreen[None]):
    """The drafts left from last time: restore one, discard one, or deal with them later."""

    CSS_PATH = "drafts.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "restore", "Restore", id="drafts.restore",
                tooltip="Open the highlighted draft in its form, with everything typed"),
        Binding("d", "discard", "Discard", id="drafts.discard",
                tooltip="Throw the highlighted draft away (asks first)"),
        Binding("escape,l", "later", "Later", id="drafts.later",
                tooltip="Close; the drafts stay and are offered again next start"),
    ]

    def __init__(self, drafts: list[Draft]) -> None:
        super().__init__()
        self.drafts = list(drafts)
        self._leaving = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(classes="dialog", id="drafts-dialog"):
            yield Label("Unsaved work from last time", classes="dialog-title")
            yield Static(
                "ascms-tui kept what you were typing when it last closed without saving. "
                "Restore it to carry on, or discard it.",
                classes="dialog-detail",
            )
            yield OptionList(id="draft-list")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Restore (r)", id="restore", variant="primary")
                yield Button("Discard… (d)", id="discard", variant="error")
                yield Button("Later (esc)", id="later")
        yield KeyBar()

    def on_mount(self) -> None:
        self._show(self.drafts)
        self.query_one(OptionList).focus()

    def on_screen_resume(self) -> None:
        # Back from a restored form (saved, kept or discarded): list what is left.
        if self._leaving:
            return
        drafts = self.app.store.drafts()
        if not drafts:
            self._leaving = True
            self.dismiss(None)
            return
        self._show(drafts)

    def _show(self, drafts: list[Draft]) -> None:
        self.drafts = sorted(drafts, key=lambda d: d.updated_at, reverse=True)  # latest first
        options = self.query_one(OptionList)
        highlighted = options.highlighted or 0
        options.clear_options()
        store, today = self.app.store, self.app.today()
        for draft in self.drafts:
            case = store.get(Case, draft.case_id) if draft.case_id else None  # a few single-row reads
            options.add_option(Option(literal(describe_draft(draft, case, today)), id=draft.draft_key))
        options.highlighted = min(highlighted, len(self.drafts) - 1) if self.drafts else None

    @property
    def _highlighted(self) -> Draft | None:
        index = self.query_one(OptionList).highlighted
        return self.drafts[index] if index is not None and index < len(self.drafts) else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_restore()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        {"restore": self.action_restore, "discard": self.action_discard, "later": self.action_later}[
            event.button.id or "later"
        ]()

    def action_restore(self) -> None:
        draft = self._highlighted
        if draft is None:
            return
        if draft.case_id is None or draft.form not in FORM_LABELS:
            self.notify("This draft does not belong to a form that can be opened.", severity="error")
            return
        # The form opens over this dialog; when it closes, the dialog lists what is left.
        self.app.open_form(draft.form, draft.case_id, draft.record_id, draft=draft)

    def action_discard(self) -> None:
        draft = self._highlighted
        if draft is None:
            return
        case = self.app.store.get(Case, draft.case_id) if draft.case_id else None

        def discarded(choice: str | None) -> None:
            if choice == "discard":
                self.app.store.discard_draft(draft.draft_key)
                self.notify("Draft discarded.")
                self.on_screen_resume()

        self.app.push_screen(
            DiscardDraftScreen(
                "Discard this draft?",
                literal(describe_draft(draft, case, self.app.today()) + "\n\nWhat was typed will be gone."),
                keep_label="Keep it",
                back_label=None,
            ),
            discarded,
        )

    def action_later(self) -> None:
        if not self._leaving:
            self._leaving = True
            self.dismiss(None)
