"""The admin's setup kit (salesforce/) is generated from the org contract and stays in step with it."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from ascms_tui.org_contract import default_contract
from ascms_tui.setup_kit import NAMESPACE, kit_files

ROOT = Path(__file__).resolve().parents[1]
KIT = ROOT / "salesforce"
NS = {"m": NAMESPACE}


def test_the_committed_kit_is_what_the_contract_generates():
    expected = kit_files()
    committed = {str(p.relative_to(KIT)): p.read_text(encoding="utf-8") for p in KIT.rglob("*") if p.is_file()}
    assert sorted(committed) == sorted(expected), "run: python -m ascms_tui.setup_kit salesforce"
    stale = [name for name, text in expected.items() if committed[name] != text]
    assert stale == [], f"stale (run: python -m ascms_tui.setup_kit salesforce): {stale}"


def test_every_xml_file_parses_as_salesforce_metadata():
    files = [p for p in KIT.rglob("*.xml")]
    assert len(files) > 50
    for path in files:
        root = ET.parse(path).getroot()
        assert root.tag.startswith(f"{{{NAMESPACE}}}"), path
    project = json.loads((KIT / "sfdx-project.json").read_text(encoding="utf-8"))
    assert project["sourceApiVersion"] == default_contract().api_version


def test_every_custom_field_of_the_contract_is_in_the_kit_with_its_key_flags():
    fields = KIT / "force-app/main/default/objects"
    for described in default_contract().objects.values():
        holder = "Activity" if described.name in ("Event", "Task") else described.name
        for field in described.fields.values():
            if not field.name.endswith("__c"):
                continue
            root = ET.parse(fields / holder / "fields" / f"{field.name}.field-meta.xml").getroot()
            assert root.findtext("m:fullName", namespaces=NS) == field.name
            if field.externalId:  # the upsert key: External ID and Unique, or resends could duplicate
                assert root.findtext("m:externalId", namespaces=NS) == "true"
                assert root.findtext("m:unique", namespaces=NS) == "true"
            if field.master_detail:  # reparentable, so a resent create (an update) is accepted
                assert root.findtext("m:reparentableMasterDetail", namespaces=NS) == "true"
            if field.restrictedPicklist:
                values = [v.findtext("m:fullName", namespaces=NS)
                          for v in root.iterfind(".//m:value", namespaces=NS)]
                assert values == list(field.active_values)


def test_the_permission_set_names_only_fields_in_the_kit_and_the_app_signs_in_with_its_scopes():
    default = KIT / "force-app/main/default"
    permissions = ET.parse(default / "permissionsets/ASCMS_TUI_Case_Manager.permissionset-meta.xml").getroot()
    named = [p.findtext("m:field", namespaces=NS) for p in permissions.iterfind("m:fieldPermissions", namespaces=NS)]
    assert named and len(named) == len(set(named))
    for name in named:
        holder, field = name.split(".")
        assert (default / "objects" / holder / "fields" / f"{field}.field-meta.xml").exists(), name
    app = ET.parse(default / "connectedApps/ASCMS_TUI.connectedApp-meta.xml").getroot()
    scopes = [s.text for s in app.iterfind("m:oauthConfig/m:scopes", namespaces=NS)]
    assert scopes == ["Api", "RefreshToken"]
    assert app.findtext("m:oauthConfig/m:isSecretRequiredForRefreshToken", namespaces=NS) == "false"
