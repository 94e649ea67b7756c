"""The org contract (ascms_tui/data/org_contract.json) and the field mapping never disagree."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from ascms_tui.org_contract import ContractError, default_contract, parse_contract
from ascms_tui.picklists import (
    INITIAL_MEETING_SUBJECTS,
    BarrierCategory,
    CaseStatus,
    PlanStatus,
    StatusReason,
    TaskStatus,
)
from ascms_tui.sync.mapping import (
    EVENT_DATE,
    EVENT_DURATION,
    FILE_CREATE_FIELDS,
    SYSTEM_FIELDS,
    column_kinds,
    load_mapping,
)

MAPPING = load_mapping()
CONTRACT = default_contract()
# What each local kind may be in the org (describe's field types).
FITS = {"text": {"string", "textarea", "picklist", "combobox", "phone", "email"}, "bool": {"boolean"},
        "int": {"double", "int"}, "decimal": {"currency", "double"}, "date": {"date"}, "datetime": {"datetime"},
        "ref": {"reference"}}


@pytest.mark.parametrize("record_type", sorted(MAPPING.objects))
def test_every_mapped_object_and_field_is_in_the_contract_with_a_fitting_type(record_type):
    obj = MAPPING.objects[record_type]
    described = CONTRACT.object(obj.sobject)
    assert described is not None, f"{obj.sobject} is not in the org contract"
    for name in obj.query_fields():
        assert described.has(name), f"{obj.sobject}.{name} is mapped but not in the org contract"
    for column, name in obj.fields.items():
        field = described.field(name)
        assert field.type in FITS[obj.kinds[column]], f"{obj.sobject}.{name}: {field.type} for {obj.kinds[column]}"
        if column not in obj.read_only:
            assert field.createable or field.updateable, f"{obj.sobject}.{name} is sent but the org lets no one write it"
    if obj.external_id:
        key = described.field(obj.external_id)
        assert key.externalId and key.unique, f"{obj.sobject}.{obj.external_id} must be External ID and Unique"


def test_every_field_the_org_requires_is_filled_by_the_app():
    for obj in MAPPING.objects.values():
        described = CONTRACT.object(obj.sobject)
        sent = set(obj.fields.values()) | ({obj.external_id} if obj.external_id else set())
        if obj.sobject == "ContentVersion":
            sent |= set(FILE_CREATE_FIELDS)  # the engine adds them on create
        required = {f.name for f in described.fields.values() if f.required_on_create}
        assert required <= sent, f"{obj.sobject}: the org requires {sorted(required - sent)}"


def test_the_picklist_values_the_app_writes_or_counts_on_are_in_the_contract():
    def values(sobject: str, field: str) -> tuple[str, ...]:
        return CONTRACT.object(sobject).field(field).active_values

    assert set(INITIAL_MEETING_SUBJECTS) <= set(values("Event", "Subject"))
    assert "In Progress" in values("Student_Plan__c", "Status__c")
    for sobject, field, enum in (("Case", "Status", CaseStatus), ("Case", "Status_Reason__c", StatusReason),
                                 ("Task", "Status", TaskStatus), ("Barrier__c", "Category__c", BarrierCategory),
                                 ("Student_Plan__c", "Status__c", PlanStatus)):
        assert list(values(sobject, field)) == [e.value for e in enum], f"{sobject}.{field}"


def test_the_event_fields_salesforce_derives_and_the_system_fields_are_in_the_contract():
    for name in (EVENT_DATE, EVENT_DURATION, "IsArchived"):
        assert CONTRACT.object("Event").has(name)
    for obj in MAPPING.objects.values():  # what every pull and version check selects
        assert all(CONTRACT.object(obj.sobject).has(name) for name in (*SYSTEM_FIELDS, "IsDeleted")), obj.sobject


def test_a_local_kind_is_mapped_for_every_column_of_each_record():
    # column_kinds is what to_server relies on: every mapped column has a kind.
    for obj in MAPPING.objects.values():
        assert set(obj.fields) <= set(column_kinds(obj.model))


def test_the_contract_file_is_describe_shaped_and_a_bad_one_is_refused():
    data = json.loads(resources.files("ascms_tui").joinpath("data/org_contract.json").read_text(encoding="utf-8"))
    assert {o["name"] for o in data["sobjects"]} == {o.name for o in CONTRACT.objects.values()}
    prefixes = [o["keyPrefix"] for o in data["sobjects"]]
    assert len(prefixes) == len(set(prefixes))
    with pytest.raises(ContractError, match="sobjects"):
        parse_contract({"objects": []})
    with pytest.raises(ContractError, match=r"Case.fields\[0\]"):
        parse_contract({"sobjects": [{"name": "Case", "keyPrefix": "500", "fields": [{"name": "Id"}]}]})


def _valid_records() -> dict[str, object]:
    """One valid record of each type, to change one field of at a time."""
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from ascms_tui.domain import (
        Barrier,
        CaseComment,
        CaseFile,
        Contact,
        Event,
        InfoRequest,
        Plan,
        PlanStep,
        Service,
        StatusChange,
        Task,
        Ubnf,
    )

    from .conftest import make_case

    case = make_case()
    ids = {"case_id": case.id}
    return {
        "case": case, "contact": Contact(**ids, name="Mere Invented", role="Parent / Caregiver"),
        "event": Event(**ids, subject="Home Visit", start=datetime(2026, 6, 2, 22, tzinfo=UTC)),
        "task": Task(**ids, subject="Ring the school"), "comment": CaseComment(**ids, body="x"),
        "barrier": Barrier(**ids, category="Transport"), "plan": Plan(**ids),
        "plan_step": PlanStep(**ids, plan_id=case.id, action="x", responsible="School"),
        "service": Service(**ids, kind="NGO", agency="x", referred_on=date(2026, 6, 3)),
        "ubnf": Ubnf(**ids, provided="x", amount=Decimal("1"), provided_on=date(2026, 6, 3)),
        "info_request": InfoRequest(**ids, agency="MSD", requested_on=date(2026, 6, 3)),
        "status_change": StatusChange(**ids, to_status="Open"), "file": CaseFile(**ids, file_name="x.txt"),
    }


def test_no_text_the_app_accepts_is_longer_than_as_cms_takes():
    # A value one character over the org's length must be refused here, at entry, not set aside at sync.
    from pydantic import ValidationError

    from ascms_tui.store import from_row, to_row

    records = _valid_records()
    too_long = []
    for record_type, obj in MAPPING.objects.items():
        described = CONTRACT.object(obj.sobject)
        for column, name in obj.fields.items():
            field = described.field(name)
            if obj.kinds[column] != "text" or field.type not in ("string", "textarea", "phone", "email") \
                    or column in obj.read_only or field.type == "picklist":
                continue
            row = to_row(records[record_type])
            over = field.length + 1  # one character more than the org's field holds
            row[column] = "a" * (over - 5) + "@x.nz" if field.type == "email" else "a" * over
            try:
                from_row(obj.model, row)
            except ValidationError:
                continue
            too_long.append(f"{obj.sobject}.{name} ({field.length}) takes {record_type}.{column} longer")
    assert too_long == []
