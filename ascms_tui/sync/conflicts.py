"""Merging AS-CMS's version of a record with local changes not yet pushed.

Three values per field: the local one, AS-CMS's, and the base (what AS-CMS had
when the local edit was made, from the change journal's "old" values, or the
AS-CMS value a user chose to overwrite). A field changed on one side only takes
that side's value; the same field changed on both sides to different values is a
conflict, held for the user: nothing is pushed over it until they choose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..store import from_row, to_row
from .mapping import ObjectMap


@dataclass
class Merge:
    apply: dict[str, Any] = field(default_factory=dict)  # AS-CMS values to write here
    conflicts: list[tuple[str, Any, Any]] = field(default_factory=list)  # (column, local, AS-CMS)


def canonical(obj: ObjectMap, local_row: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
    """AS-CMS's values as this store writes them, validated (and text cleaned) by the record's model.

    Raises pydantic's ValidationError when AS-CMS holds something the model refuses.
    """
    merged = to_row(from_row(obj.model, {**local_row, **incoming}))
    return {column: merged[column] for column in incoming}


def merge_record(obj: ObjectMap, local_row: dict[str, Any], incoming: dict[str, Any],
                 bases: dict[str, Any]) -> Merge:
    """What to take from AS-CMS into `local_row`; `bases` holds each field with an unpushed local change."""
    theirs = canonical(obj, local_row, incoming)
    mine = to_row(from_row(obj.model, local_row))
    result = Merge()
    for column, server in theirs.items():
        local = mine.get(column)
        if obj.same(column, local, server):
            continue
        if column not in bases:
            result.apply[column] = server  # changed centrally only
        elif obj.same(column, server, bases[column]):
            continue  # changed here only: ours will be pushed
        else:
            result.conflicts.append((column, local, server))
    return result
