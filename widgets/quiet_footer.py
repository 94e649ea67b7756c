"""A Footer that rebuilds only when the keys it shows have changed.

Textual's Footer recomposes on every bindings signal (screen shown, focus
moved, ...), three times while a screen opens, at a few tens of milliseconds
each. This one waits for the next refresh and rebuilds once, and not at all
when the same keys would be shown again.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class QuietFooter(Footer):
    DEFAULT_CSS = """
    /* Textual's compact footer runs a key group's label into the next key: "123 Tabsesc Back". */
    QuietFooter.-compact FooterLabel {
        margin: 0 1 0 0;
    }
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._rebuild_pending = False
        self._shown_keys: tuple | None = None

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        if not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    def _keys(self) -> tuple:
        return tuple(
            (binding.key, binding.description, binding.action, binding.show, enabled, tooltip)
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
        )

    async def _rebuild(self) -> None:
        self._rebuild_pending = False
        if not self.is_attached:
            return  # the screen closed before the refresh
        keys = self._keys()
        if keys != self._shown_keys:
            self._shown_keys = keys
            await self.recompose()
