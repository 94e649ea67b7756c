"""The org check (`ascms-tui doctor`): does this AS-CMS org have what ascms-tui writes and counts on?

Each mapped object is described (`GET /sobjects/{X}/describe`, 25 to a Composite
request) and compared with the org contract (ascms_tui/data/org_contract.json):
fields missing or not writable by this user, types that do not fit, lengths
shorter than the app's, keys not flagged External ID or Unique, picklist values
missing or inactive, fields the org requires that the app does not fill, the API
version, and the day's remaining API requests. Each problem says, in plain words,
what breaks and who can fix it.

A provider's own mapping.toml is checked by what each *local* field needs: the
contract names the default field, the mapping names the org's, and the org's
field must fit the default's describe.

A problem that blocks an object (`record_type` set) holds that object's changes
at the next sync, instead of letting each be refused; the sync describes those
objects again every time, so the changes go as soon as the org is fixed.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, field
from typing import Any

from ..nztime import utc_now
from ..org_contract import NUMBER_TYPES, TEXT_TYPES, FieldContract, ObjectContract, OrgContract, default_contract
from .client import SalesforceClient, SyncStopped, error_text
from .mapping import FILE_CREATE_FIELDS, Mapping, ObjectMap, build_mapping, default_mapping_text

ADMIN = "the org's Salesforce admin (docs/org-setup.md says what to deploy)"
DESCRIBES_PER_REQUEST = 25  # a describe is neither a collection nor a query: 25 to a Composite request
STATE_KEY = "org_check"  # where the last check is kept (Store.sync_value)
# What each kind of use costs when a field is wrong.
SENT, READ, KEY = "sent", "read", "key"


@dataclass(frozen=True)
class Problem:
    object: str  # the org's object name
    field: str | None
    problem: str
    consequence: str
    record_type: str | None = None  # the local record type whose changes wait until it is fixed; None: none wait
    fix: str = ADMIN

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class OrgCheck:
    instance_url: str
    checked_at: str
    problems: list[Problem] = field(default_factory=list)
    api_usage: tuple[int, int] | None = None  # (requests used today, daily limit)
    checked_objects: list[str] = field(default_factory=list)  # the org's objects described

    @property
    def held_types(self) -> set[str]:
        return {p.record_type for p in self.problems if p.record_type}

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0

    def reasons_for(self, record_type: str) -> list[Problem]:
        return [p for p in self.problems if p.record_type == record_type]

    def to_json(self) -> dict[str, Any]:
        used, limit = self.api_usage or (None, None)
        return {"instance_url": self.instance_url, "checked_at": self.checked_at, "fits": not self.problems,
                "api_requests_used": used, "api_requests_limit": limit, "checked_objects": self.checked_objects,
                "problems": [p.to_json() for p in self.problems]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OrgCheck:
        usage = (data["api_requests_used"], data["api_requests_limit"]) if data.get("api_requests_limit") else None
        return cls(data.get("instance_url", ""), data.get("checked_at", ""),
                   [Problem(**p) for p in data.get("problems", [])], usage, list(data.get("checked_objects", [])))

    def merged(self, newer: OrgCheck) -> OrgCheck:
        """This check with `newer`'s results for the objects `newer` described again."""
        again = set(newer.checked_objects)
        kept = [p for p in self.problems if p.object not in again]
        return OrgCheck(newer.instance_url, newer.checked_at, kept + newer.problems,
                        newer.api_usage or self.api_usage, sorted(set(self.checked_objects) | again))


def last_check(store) -> OrgCheck | None:
    text = store.sync_value(STATE_KEY)
    if not text:
        return None
    try:
        return OrgCheck.from_json(json.loads(text))
    except (ValueError, TypeError, KeyError):
        return None


def holding_check(store, instance_url: str) -> OrgCheck | None:
    """The last check, when it was of this org and holds some changes back; else None."""
    check = last_check(store)
    if check is None or not check.held_types or check.instance_url != instance_url:
        return None
    return check


def keep_check(store, check: OrgCheck) -> None:
    store.set_sync_value(STATE_KEY, json.dumps(check.to_json(), ensure_ascii=False))


# --- the check -------------------------------------------------------------------------------


def check_org(client: SalesforceClient, mapping: Mapping, *, contract: OrgContract | None = None,
              record_types: set[str] | None = None) -> OrgCheck:
    """Describe the mapped objects (all, or those of `record_types`) and compare them with the contract."""
    contract = contract or default_contract()
    default = build_mapping(tomllib.loads(default_mapping_text()))
    objects = [obj for rt, obj in mapping.objects.items() if record_types is None or rt in record_types]
    check = OrgCheck(client.session.instance_url, utc_now().isoformat(), checked_objects=[o.sobject for o in objects])
    if record_types is None:
        check.problems += _api_version(client, mapping)
    described = _describe(client, [obj.sobject for obj in objects])
    for obj in objects:
        needed = contract.object(default.objects[obj.record_type].sobject)
        check.problems += _object_problems(obj, default.objects[obj.record_type], needed, described.get(obj.sobject))
    check.api_usage = client.api_usage
    if check.api_usage:
        used, limit = check.api_usage
        if limit - used < max(20, limit * 0.02):
            check.problems.append(Problem(
                "Organisation", None, f"only {limit - used:,} of the day's {limit:,} API requests are left",
                "sync stops until the daily budget renews", None, "wait a day, or ask the org's admin about the limit"))
    return check


def _api_version(client: SalesforceClient, mapping: Mapping) -> list[Problem]:
    response = client.request("GET", "/services/data")
    offered = {f"v{v.get('version')}" for v in response.body if isinstance(v, dict)} \
        if isinstance(response.body, list) else set()
    if response.status < 300 and mapping.api_version in offered:
        return []
    return [Problem("Organisation", None, f"REST API version {mapping.api_version} is not offered "
                                          f"(offered: {', '.join(sorted(offered)) or 'none'})",
                    "nothing can be sent or brought in", None, "the org's admin, or a mapping.toml with an "
                                                               "api_version the org offers")]


def _describe(client: SalesforceClient, sobjects: list[str]) -> dict[str, dict[str, Any] | None]:
    """Each object's describe, or None where the org has no such object (or this user cannot see it)."""
    out: dict[str, dict[str, Any] | None] = {}
    for start in range(0, len(sobjects), DESCRIBES_PER_REQUEST):
        part = sobjects[start:start + DESCRIBES_PER_REQUEST]
        subrequests = [{"method": "GET", "url": f"{client.api}/sobjects/{name}/describe", "referenceId": f"d{n}"}
                       for n, name in enumerate(part)]
        response = client.request("POST", f"{client.api}/composite", json={"compositeRequest": subrequests})
        answers = response.body.get("compositeResponse") if isinstance(response.body, dict) else None
        if response.status >= 400 or not isinstance(answers, list) or len(answers) != len(part):
            raise SyncStopped(f"AS-CMS refused to describe its objects: {error_text(response.body)}")
        for name, answer in zip(part, answers):
            body = answer.get("body")
            out[name] = body if answer.get("httpStatusCode") == 200 and isinstance(body, dict) else None
    return out


def _needs(obj: ObjectMap, default: ObjectMap, needed: ObjectContract) -> list[tuple[str, FieldContract, str]]:
    """(the org's field name, what the contract says it must be, how the app uses it) for one object."""
    needs: list[tuple[str, FieldContract, str]] = []
    for column, name in obj.fields.items():
        wanted = needed.field(default.fields.get(column, name))
        if wanted is not None:
            needs.append((name, wanted, READ if column in obj.read_only else SENT))
    if obj.external_id and default.external_id:
        needs.append((obj.external_id, needed.field(default.external_id), KEY))
    # What every pull and version check selects beyond the mapped fields (Event times included),
    # and what a file's create sends.
    extra = [*obj.query_fields(), "IsDeleted"]
    if obj.sobject == "ContentVersion":
        extra += FILE_CREATE_FIELDS
    for name in extra:
        wanted = needed.field(name)
        if wanted is not None and not any(n == name for n, _, _ in needs):
            needs.append((name, wanted, SENT if wanted.createable else READ))
    return needs


def _object_problems(obj: ObjectMap, default: ObjectMap, needed: ObjectContract,
                     describe: dict[str, Any] | None) -> list[Problem]:
    plural = _plural(obj)
    if describe is None:
        return [Problem(obj.sobject, None, "the object is missing, or this user cannot see it",
                        f"{plural} cannot be sent or brought in{_what_else(obj)}", obj.record_type)]
    fields = {f["name"].lower(): f for f in describe.get("fields", []) if isinstance(f, dict) and "name" in f}
    problems: list[Problem] = []

    def problem(name: str | None, what: str, consequence: str, *, holds: bool = True) -> None:
        problems.append(Problem(obj.sobject, name, what, consequence, obj.record_type if holds else None))

    sent_names = set()
    for name, wanted, use in _needs(obj, default, needed):
        sent_names.add(name.lower())
        have = fields.get(name.lower())
        if have is None:
            if use == READ:
                problem(name, "the field is missing, or hidden from this user by field-level security",
                        f"every pull of {plural} is refused, so none comes in{_what_else(obj)}")
            else:
                problem(name, "the field is missing, or hidden from this user by field-level security",
                        f"{plural} cannot be sent: AS-CMS refuses the field{_what_else(obj)}")
            continue
        if use != READ:
            if wanted.createable and not have.get("createable"):
                problem(name, "this user cannot set the field on a new record",
                        f"new {plural} cannot be sent{_what_else(obj)}")
            if wanted.updateable and not have.get("updateable"):
                problem(name, "this user cannot change the field",
                        f"changes to {plural} cannot be sent" + (
                            "; a new record sent again after a lost answer is refused too" if use == KEY or
                            wanted.master_detail else ""))
        if not _types_fit(wanted.type, have.get("type", "")):
            problem(name, f"the field is a {have.get('type')}, the app needs a {wanted.type}",
                    f"{plural} cannot be sent or brought in{_what_else(obj)}")
        if wanted.type in TEXT_TYPES and wanted.type not in ("picklist", "combobox") and have.get("length") \
                and have["length"] < wanted.length:
            problem(name, f"the field holds {have['length']:,} characters, the app allows {wanted.length:,}",
                    f"a {obj.label.lower()} with a longer value is refused and set aside", holds=False)
        if use == KEY:
            if not have.get("externalId"):
                problem(name, "the field is not flagged External ID",
                        f"new {plural} cannot be sent (each is created by an upsert on this key, so a "
                        "resend after a lost answer never makes a duplicate)")
            elif not have.get("unique"):
                problem(name, "the field is External ID but not Unique",
                        "a record sent twice could be made twice", holds=False)
        problems.extend(_picklist_problems(obj, name, wanted, have, plural))
    for have in fields.values():
        if not have.get("nillable", True) and have.get("createable") and not have.get("defaultedOnCreate") \
                and have["name"].lower() not in sent_names:
            problem(have["name"], "the org requires the field and the app does not fill it",
                    f"new {plural} cannot be sent: AS-CMS refuses each as missing this field")
    return problems


def _picklist_problems(obj: ObjectMap, name: str, wanted: FieldContract, have: dict[str, Any],
                       plural: str) -> list[Problem]:
    """Values the app writes (restricted picklists) or counts on (initial-meeting subjects) that the org lacks."""
    from ..picklists import INITIAL_MEETING_SUBJECTS

    if wanted.type not in ("picklist", "combobox"):
        return []
    active = {v.get("value") for v in have.get("picklistValues") or [] if v.get("active", True)}
    missing = [v for v in wanted.active_values if v not in active]
    if not missing:
        return []
    counted = [v for v in missing if v in INITIAL_MEETING_SUBJECTS or (obj.record_type == "plan" and v == "In Progress")]
    if not have.get("restrictedPicklist") and not counted:
        return []
    shown = ", ".join(f"'{v}'" for v in missing)
    if counted:
        consequence = (f"{plural} with {', '.join(repr(v) for v in counted)} cannot be sent, or cannot be chosen in "
                       f"AS-CMS: {_reporting_of(obj)} would not reach reporting")
    else:
        consequence = f"{plural} with {'those values' if len(missing) > 1 else 'that value'} are refused"
    return [Problem(obj.sobject, name, f"the picklist lacks {shown} (missing or inactive)", consequence,
                    obj.record_type)]


def _types_fit(wanted: str, have: str) -> bool:
    if wanted == have:
        return True
    if wanted in TEXT_TYPES and have in TEXT_TYPES:
        return True
    return wanted in NUMBER_TYPES and have in NUMBER_TYPES


def _plural(obj: ObjectMap) -> str:
    return {"ubnf": "UBNF records", "info_request": "Info Requests", "status_change": "Case status changes",
            "plan_step": "Plan steps", "plan": "Student Plans"}.get(obj.record_type, f"{obj.label}s")


def _what_else(obj: ObjectMap) -> str:
    """What reporting loses when this object cannot be sent."""
    return {"event": "; initial meetings would not reach reporting",
            "plan": "; student plans would not count in reporting",
            "plan_step": "; a plan without its steps does not count in reporting",
            "case": "; nothing of a new case can be sent"}.get(obj.record_type, "")


def _reporting_of(obj: ObjectMap) -> str:
    return {"event": "initial meetings", "plan": "student plans"}.get(obj.record_type, "these records")


# --- saying it ----------------------------------------------------------------------------------


def describe_check(check: OrgCheck) -> str:
    """The check in plain words: each problem, what breaks, who can fix it."""
    from ..domain import RECORD_TYPES

    head = f"AS-CMS at {check.instance_url}"
    if not check.problems:
        lines = [f"{head} has everything ascms-tui writes and counts on."]
    else:
        count = len(check.problems)
        lines = [f"{head}: {count} problem{'s' if count != 1 else ''} found."]
        for p in check.problems:
            where = f"{p.object}.{p.field}" if p.field else p.object
            lines += [f"- {where}: {p.problem}.", f"  What breaks: {p.consequence}.", f"  Who can fix it: {p.fix}."]
        held = sorted(check.held_types)
        if held:
            labels = ", ".join(RECORD_TYPES[t].label for t in held if t in RECORD_TYPES)
            lines.append(f"Until it is fixed, sync keeps these on this laptop and sends everything else: {labels}. "
                         "Each sync checks them again.")
    if check.api_usage:
        used, limit = check.api_usage
        lines.append(f"API requests today: {used:,} of {limit:,} used.")
    return "\n".join(lines)


def suggest_mapping(client: SalesforceClient, mapping: Mapping, check: OrgCheck, mapping_path: str) -> str:
    """A mapping.toml proposal for fields the org lacks under the app's names but has under another, matched
    by label. For a person to review; nothing is written."""
    import difflib
    import re

    contract = default_contract()
    default = build_mapping(tomllib.loads(default_mapping_text()))
    missing = {(p.object, p.field) for p in check.problems if p.field and p.problem.startswith("the field is missing")}
    if not missing:
        return "# Nothing to suggest: every field the app needs is there under the app's names."
    objects = sorted({sobject for sobject, _ in missing})
    described = _describe(client, objects)

    def key(label: str) -> str:
        return re.sub(r"[^a-z0-9]", "", label.lower())

    sections: dict[str, list[str]] = {}
    unmatched: list[str] = []
    for record_type, obj in mapping.objects.items():
        for column, name in obj.fields.items():
            if (obj.sobject, name) not in missing:
                continue
            default_obj = default.objects[record_type]
            wanted = contract.object(default_obj.sobject).field(default_obj.fields.get(column, name))
            fields = (described.get(obj.sobject) or {}).get("fields", [])
            labels = {key(f.get("label", "")): f["name"] for f in fields if f.get("name", "").lower() != name.lower()}
            label = wanted.label if wanted else name
            found = labels.get(key(label)) or next(
                (labels[k] for k in difflib.get_close_matches(key(label), list(labels), n=1, cutoff=0.8)), None)
            if found:
                sections.setdefault(record_type, []).append(f'{column} = "{found}"  # label matches "{label}"')
            else:
                unmatched.append(f"# {obj.sobject}.{name} ({label}): no field with a matching label")
    out = ["# A mapping.toml proposed by 'ascms-tui doctor --suggest-mapping' from the org's field labels.",
           f"# Review every line, then save it as {mapping_path}; nothing was written."]
    for record_type, lines in sections.items():
        out += ["", f"[{record_type}.fields]", *lines]
    if unmatched:
        out += ["", *unmatched]
    return "\n".join(out)
