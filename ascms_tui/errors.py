"""Errors the user is shown, importable without loading the store (and pydantic)."""

from __future__ import annotations


class StoreError(Exception):
    """A write that cannot be made; the message is for the user."""
