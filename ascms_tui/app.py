"""The Textual application: the only module of the core that imports Textual."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding

from screens.case_list import CaseListScreen

from .store import Store


class AscmsApp(App):
    CSS_PATH = "app.tcss"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Leave ascms-tui")]

    def __init__(self, db_path: Path, title: str = "AS-CMS offline") -> None:
        super().__init__()
        self.db_path = db_path
        self.title = title
        self.store: Store | None = None

    def on_mount(self) -> None:
        self.store = Store(self.db_path)
        self.push_screen(CaseListScreen(self.store))

    def on_unmount(self) -> None:
        if self.store is not None:
            self.store.close()
