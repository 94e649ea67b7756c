"""The AS-CMS org contract: what ascms-tui needs of the Salesforce org, in describe's shape.

`ascms_tui/data/org_contract.json` lists every object and field the app reads or
writes, with the attributes Salesforce's describe gives (type, length,
nillable, createable, updateable, externalId, unique, restricted picklists and
their values, references, master-detail). The training sandbox enforces it; the
org check compares a real org's describe with it; `mapping.toml` names nothing
that is not in it (tests/test_org_contract.py).

Plain dataclasses over the JSON: no pydantic, so the sandbox loads it cheaply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

TEXT_TYPES = frozenset({"string", "textarea", "picklist", "combobox", "phone", "email", "url", "multipicklist"})
NUMBER_TYPES = frozenset({"double", "currency", "percent", "int"})


class ContractError(ValueError):
    """The contract file is not a describe-shaped list of objects; the message says where."""


@dataclass(frozen=True)
class FieldContract:
    describe: dict[str, Any]  # the field as describe gives it

    @property
    def name(self) -> str:
        return self.describe["name"]

    @property
    def label(self) -> str:
        return self.describe.get("label") or self.name

    @property
    def type(self) -> str:
        return self.describe["type"]

    def __getattr__(self, key: str) -> Any:
        # nillable, createable, updateable, externalId, unique, length, precision, scale, referenceTo...
        try:
            return self.__dict__["describe"][key]
        except KeyError:
            raise AttributeError(key) from None

    @property
    def required_on_create(self) -> bool:
        """Salesforce's rule: not nillable, createable, and not given a default by the org."""
        d = self.describe
        return not d.get("nillable", True) and d.get("createable", False) and not d.get("defaultedOnCreate", False)

    @property
    def active_values(self) -> tuple[str, ...]:
        return tuple(v["value"] for v in self.describe.get("picklistValues") or () if v.get("active", True))

    @property
    def master_detail(self) -> bool:
        return bool(self.describe.get("cascadeDelete")) and self.type == "reference"


@dataclass(frozen=True)
class ObjectContract:
    describe: dict[str, Any]  # the object, its fields under "fields"
    fields: dict[str, FieldContract]  # by lower-case name

    @property
    def name(self) -> str:
        return self.describe["name"]

    @property
    def key_prefix(self) -> str:
        return self.describe["keyPrefix"]

    def field(self, name: str) -> FieldContract | None:
        return self.fields.get(name.lower())

    def has(self, name: str) -> bool:
        return name.lower() in self.fields


@dataclass(frozen=True)
class OrgContract:
    api_version: str
    objects: dict[str, ObjectContract]  # by lower-case name
    source: str

    def object(self, name: str) -> ObjectContract | None:
        return self.objects.get(name.lower())

    def by_prefix(self, prefix: str) -> ObjectContract | None:
        return next((o for o in self.objects.values() if o.key_prefix == prefix), None)


def parse_contract(data: Any, source: str = "org_contract.json") -> OrgContract:
    if not isinstance(data, dict) or not isinstance(data.get("sobjects"), list):
        raise ContractError(f"{source}: expected an object with a list 'sobjects'")
    objects: dict[str, ObjectContract] = {}
    for index, entry in enumerate(data["sobjects"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not isinstance(
                entry.get("fields"), list):
            raise ContractError(f"{source}: sobjects[{index}] needs a name and a list of fields")
        fields: dict[str, FieldContract] = {}
        for position, field in enumerate(entry["fields"]):
            if not isinstance(field, dict) or not isinstance(field.get("name"), str) or not isinstance(
                    field.get("type"), str):
                raise ContractError(f"{source}: {entry['name']}.fields[{position}] needs a name and a type")
            fields[field["name"].lower()] = FieldContract(field)
        if not isinstance(entry.get("keyPrefix"), str) or len(entry["keyPrefix"]) != 3:
            raise ContractError(f"{source}: {entry['name']} needs a three-character keyPrefix")
        objects[entry["name"].lower()] = ObjectContract(entry, fields)
    return OrgContract(str(data.get("apiVersion", "60.0")), objects, source)


def load_contract(path: str | Path | None = None) -> OrgContract:
    """The packaged contract, or the one in `path` (a trainer's broken org, a provider's own)."""
    if path is None:
        return default_contract()
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ContractError(f"{path}: {error}") from None
    return parse_contract(data, str(path))


@cache
def default_contract() -> OrgContract:
    text = resources.files("ascms_tui").joinpath("data/org_contract.json").read_text(encoding="utf-8")
    return parse_contract(json.loads(text))
