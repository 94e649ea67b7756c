"""Local records <-> AS-CMS sObjects, from one TOML file a provider can override.

The default is `ascms_tui/data/mapping.toml`; a `mapping.toml` in the config
folder replaces single names in it. Field kinds come from the local models, so
the file holds names only. Everything from the central system is untrusted:
text is cleaned (ascms_tui.text) on the way in.
"""

from __future__ import annotations

import tomllib
import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from ..domain import RECORD_TYPES, Case, Record
from ..text import clean_text

# Local reference columns and the record type they point at.
PARENT_COLUMNS = {"case_id": "case", "plan_id": "plan", "barrier_id": "barrier"}
# Server fields every object has; never mapped, always readable.
SYSTEM_FIELDS = ("Id", "SystemModstamp", "CreatedDate")
# Event fields Salesforce derives from its times (Object Reference, Event): an all-day Event's
# date is ActivityDate, and a timed one needs EndDateTime or DurationInMinutes. Standard fields,
# the same in every org, so they are named here rather than in mapping.toml.
EVENT_DATE = "ActivityDate"
EVENT_DURATION = "DurationInMinutes"
EVENT_TIMING = ("start", "end", "all_day")
# What a file's create sends besides its mapped fields: the document's name and content.
FILE_CREATE_FIELDS = ("PathOnClient", "VersionData")
DAY_MINUTES = 24 * 60


class MappingError(Exception):
    """The mapping file is wrong; the message names the file and the entry."""


@dataclass(frozen=True)
class ObjectMap:
    record_type: str
    model: type[Record]
    sobject: str
    external_id: str | None
    fields: dict[str, str]  # local column -> Salesforce field
    read_only: frozenset[str]
    kinds: dict[str, str]  # local column -> text/bool/int/decimal/date/datetime/ref
    level: int  # push order: parents (lower) before children
    parents: dict[str, str] = field(default_factory=dict)  # reference column -> parent record type

    @property
    def label(self) -> str:
        return self.model.label

    def pushable(self, columns: typing.Iterable[str]) -> list[str]:
        return [c for c in columns if c in self.fields and c not in self.read_only]

    def query_fields(self) -> list[str]:
        names = list(SYSTEM_FIELDS)
        if self.external_id:
            names.append(self.external_id)
        names += [f for f in self.fields.values() if f not in names]
        if self.is_event:
            names += [EVENT_DATE, EVENT_DURATION]
        return names

    @property
    def is_event(self) -> bool:
        """A Salesforce Event, whose times follow Salesforce's own rules (see _event_times_out)."""
        return self.sobject == "Event" and all(c in self.fields for c in EVENT_TIMING)

    def to_server(self, row: dict[str, Any], columns: typing.Iterable[str], parent_ids: dict[str, str | None],
                  *, include_read_only: bool = False) -> dict[str, Any]:
        """Salesforce field values for these local columns; references through `parent_ids` (local id -> server Id).

        `include_read_only` is for seeding a sandbox, which may set what a real org numbers itself.
        """
        out: dict[str, Any] = {}
        wanted = [c for c in columns if c in self.fields] if include_read_only else self.pushable(columns)
        for column in wanted:
            value = row.get(column)
            kind = self.kinds[column]
            if kind == "ref":
                value = parent_ids.get(value) if value is not None else None
            else:
                value = _to_sf(kind, value)
            out[self.fields[column]] = value
        if self.is_event and any(c in wanted for c in EVENT_TIMING):
            self._event_times_out(row, out)
        return out

    def _event_times_out(self, row: dict[str, Any], out: dict[str, Any]) -> None:
        """Event times the way Salesforce takes them; sent whole whenever any of them changed.

        - All-day: IsAllDayEvent, ActivityDate (the NZ date, not shifted: Salesforce keeps an
          all-day Event's date as a plain date) and DurationInMinutes in whole days.
        - Timed: StartDateTime and EndDateTime; an Event recorded before the form asked for
          an end goes with DurationInMinutes (the time spent, else 0) instead.
        """
        from ..nztime import nz_date

        start_name, end_name, all_day_name = (self.fields[c] for c in EVENT_TIMING)
        start, end = _instant_of(row.get("start")), _instant_of(row.get("end"))
        for name in (start_name, end_name):
            out.pop(name, None)
        out[all_day_name] = bool(row.get("all_day"))
        if row.get("all_day"):
            first = nz_date(start)
            last = nz_date(end) if end is not None and end > start else first
            out[EVENT_DATE] = first.isoformat()
            out[EVENT_DURATION] = ((last - first).days + 1) * DAY_MINUTES
            return
        out[start_name] = _to_sf("datetime", row.get("start"))
        if end is not None:
            out[end_name] = _to_sf("datetime", row.get("end"))
        else:
            out[EVENT_DURATION] = int(row.get("hours") or 0) * 60 + int(row.get("minutes") or 0)

    def record_to_server(self, record: Record, parent_ids: dict[str, str | None], *,
                         include_read_only: bool = False) -> dict[str, Any]:
        """Every mapped field of a local record, with the external ID when the object has one."""
        from ..store import to_row

        row = to_row(record)
        out = self.to_server(row, self.fields, parent_ids, include_read_only=include_read_only)
        if self.external_id:
            out[self.external_id] = record.id
        return out

    def from_server(self, record: dict[str, Any]) -> dict[str, Any]:
        """Local column values (references still as server Ids) for the mapped fields present in `record`."""
        out: dict[str, Any] = {}
        for column, name in self.fields.items():
            if name not in record:
                continue
            value = record[name]
            kind = self.kinds[column]
            if kind == "ref":
                out[column] = value if isinstance(value, str) and value else None
                continue
            try:
                value = _from_sf(kind, value)
            except (ValueError, TypeError, ArithmeticError):
                shown = clean_text(repr(value))[:40]
                raise ValueError(f"{name} holds {shown}, which is not a {_KIND_NAMES.get(kind, kind)}") from None
            if value is None:
                value = _default_of(self.model, column)  # AS-CMS's empty is the field's default here
            out[column] = value
        if self.is_event and record.get(self.fields["all_day"]) and record.get(EVENT_DATE):
            out.update(_all_day_times_in(record))
        return out

    def same(self, column: str, a: Any, b: Any) -> bool:
        """Whether two local values of a column are the same value (12.5 and 12.50 are)."""
        if a == b:
            return True
        kind = self.kinds.get(column)
        if kind == "decimal" and a is not None and b is not None:
            try:
                return Decimal(str(a)) == Decimal(str(b))
            except InvalidOperation:
                return False
        if kind == "bool":
            return bool(a) == bool(b)
        if kind == "text":
            return (a or "") == (b or "")
        return False


@dataclass(frozen=True)
class Mapping:
    api_version: str
    objects: dict[str, ObjectMap]  # by local record type
    case_scope: str = ""
    batch_size: int = 200

    def by_sobject(self, sobject: str) -> ObjectMap:
        for obj in self.objects.values():
            if obj.sobject == sobject:
                return obj
        raise KeyError(sobject)

    def in_push_order(self) -> list[ObjectMap]:
        return sorted(self.objects.values(), key=lambda o: (o.level, list(RECORD_TYPES).index(o.record_type)))

    def scope_condition(self, user_name: str | None) -> str:
        """The SOQL condition on Case for this user's briefcase ('' for every visible case)."""
        if not self.case_scope.strip():
            return ""
        if "{user_name}" in self.case_scope:
            if not user_name:
                return ""
            return self.case_scope.replace("{user_name}", soql_quote(user_name))
        return self.case_scope


def soql_quote(value: str) -> str:
    """A SOQL string literal: backslash and quote escaped, as Salesforce documents."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# --- loading ------------------------------------------------------------------------


def default_mapping_text() -> str:
    return resources.files("ascms_tui").joinpath("data/mapping.toml").read_text(encoding="utf-8")


def load_mapping(override: Path | None = None) -> Mapping:
    """The packaged mapping, with a provider's `override` file (if it exists) laid over it."""
    data = tomllib.loads(default_mapping_text())
    if override is not None and override.exists():
        try:
            extra = tomllib.loads(override.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise MappingError(f"{override}: not valid TOML: {error}") from None
        data = _overlay(data, extra, str(override))
    return build_mapping(data, str(override or "mapping.toml"))


def _overlay(base: dict, extra: dict, source: str) -> dict:
    """`extra` laid over `base`: single names replace, field tables merge."""
    merged = {key: (dict(value) if isinstance(value, dict) else value) for key, value in base.items()}
    for key, value in extra.items():
        if key not in merged:
            raise MappingError(f"{source}: unknown entry [{key}]; known: {', '.join(sorted(merged))}")
        if not isinstance(value, dict):
            merged[key] = value
            continue
        for sub, sub_value in value.items():
            if sub == "fields" and isinstance(sub_value, dict):
                merged[key]["fields"] = {**merged[key].get("fields", {}), **sub_value}
            else:
                merged[key][sub] = sub_value
    return merged


def build_mapping(data: dict, source: str = "mapping.toml") -> Mapping:
    objects: dict[str, ObjectMap] = {}
    for record_type, model in RECORD_TYPES.items():
        entry = data.get(record_type)
        if not isinstance(entry, dict) or not entry.get("sobject"):
            raise MappingError(f"{source}: [{record_type}] needs an sobject name")
        kinds = column_kinds(model)
        fields = dict(entry.get("fields", {}))
        for column, name in fields.items():
            if column not in kinds:
                raise MappingError(
                    f"{source}: [{record_type}.fields] {column} is not a field of a local {model.label}; "
                    f"known: {', '.join(sorted(kinds))}"
                )
            if not isinstance(name, str) or not name:
                raise MappingError(f"{source}: [{record_type}.fields] {column} needs a Salesforce field name")
        read_only = frozenset(entry.get("read_only", ()))
        unknown = read_only - set(fields)
        if unknown:
            raise MappingError(f"{source}: [{record_type}] read_only names unmapped fields: {', '.join(sorted(unknown))}")
        parents = {c: PARENT_COLUMNS[c] for c in fields if c in PARENT_COLUMNS}
        if model is not Case and "case_id" not in fields:
            raise MappingError(f"{source}: [{record_type}.fields] must map case_id to the field naming the case")
        level = 0 if model is Case else (2 if set(parents) - {"case_id"} else 1)
        objects[record_type] = ObjectMap(
            record_type=record_type,
            model=model,
            sobject=entry["sobject"],
            external_id=entry.get("external_id") or None,
            fields=fields,
            read_only=read_only,
            kinds={c: kinds[c] for c in fields},
            level=level,
            parents=parents,
        )
    batch_size = data.get("push", {}).get("batch_size", 200)
    if not isinstance(batch_size, int) or not 1 <= batch_size <= 200:
        raise MappingError(f"{source}: [push] batch_size must be a whole number from 1 to 200")
    return Mapping(
        api_version=data.get("api_version", "v60.0"),
        objects=objects,
        case_scope=data.get("pull", {}).get("case_scope", ""),
        batch_size=batch_size,
    )


# --- value kinds --------------------------------------------------------------------


def column_kinds(model: type[BaseModel]) -> dict[str, str]:
    """Each local column of `model` (nested models flattened as the store does) and its kind."""
    kinds: dict[str, str] = {}
    for name, info in model.model_fields.items():
        annotation = _unwrap(info.annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for sub, kind in column_kinds(annotation).items():
                kinds[f"{name}_{sub}"] = kind
            continue
        kinds[name] = "ref" if name in PARENT_COLUMNS else _kind(annotation)
    return kinds


def _unwrap(annotation: Any) -> Any:
    if typing.get_origin(annotation) is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(options[0]) if len(options) == 1 else annotation
    return annotation


def _kind(annotation: Any) -> str:
    if not isinstance(annotation, type):
        return "text"
    if issubclass(annotation, bool):
        return "bool"
    if issubclass(annotation, Enum):
        return "text"
    if issubclass(annotation, int):
        return "int"
    if issubclass(annotation, Decimal):
        return "decimal"
    if issubclass(annotation, datetime):
        return "datetime"
    if issubclass(annotation, date):
        return "date"
    return "text"


def _default_of(model: type[BaseModel], column: str) -> Any:
    info = model.model_fields.get(column)
    if info is None or info.default is PydanticUndefined or info.default_factory is not None:
        return None
    return info.default


def _to_sf(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)
    if kind == "decimal":
        return float(Decimal(str(value)))
    if kind == "text":
        return value if value != "" else None  # Salesforce stores an empty text field as null
    return value  # dates and date-times are ISO text already


# How a field's kind is named in a message about a value AS-CMS sent.
_KIND_NAMES = {"int": "whole number", "decimal": "number", "date": "date", "datetime": "date and time"}


def _instant_of(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _all_day_times_in(record: dict[str, Any]) -> dict[str, Any]:
    """An all-day Event's local start and end (NZ midnights) from its ActivityDate and length in days."""
    from datetime import timedelta

    from ..nztime import nz_midnight

    first = date.fromisoformat(str(record[EVENT_DATE])[:10])
    days = max(1, int(record.get(EVENT_DURATION) or DAY_MINUTES) // DAY_MINUTES)
    return {"start": nz_midnight(first), "end": nz_midnight(first + timedelta(days=days - 1))}


def _from_sf(kind: str, value: Any) -> Any:
    if value is None:
        return False if kind == "bool" else None
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(float(value))
    if kind == "decimal":
        return str(Decimal(str(value)))
    if kind == "date":
        return str(value)[:10]
    if kind == "datetime":
        return datetime.fromisoformat(str(value))
    return clean_text(value) if isinstance(value, str) else clean_text(str(value))
