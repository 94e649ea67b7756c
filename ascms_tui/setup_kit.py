"""The setup kit for the AS-CMS org's admin: an SFDX project generated from the org contract.

    python -m ascms_tui.setup_kit salesforce      # writes salesforce/ (committed; a test keeps it current)

What it holds (source format, `sf project deploy start`):
- every custom field the app needs, on its object (custom fields of Events and Tasks
  live on Activity), the upsert key flagged External ID and Unique;
- the custom objects (barriers, plans, steps, services, UBNF, info requests, status
  changes), each a master-detail child of its parent, reparentable (a create sent again
  after a lost answer is an update), with an auto-numbered name;
- a Connected App for the device flow with the `api` and `refresh_token` scopes;
- a permission set giving case managers the access the app needs.
Standard picklists (Case Status and Type, Task Status and Priority, the Event Subject
values) are the org's own: the kit does not overwrite them; docs/org-setup.md lists the
values the app needs, and `ascms-tui doctor` checks them.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from .org_contract import FieldContract, ObjectContract, OrgContract, default_contract

NAMESPACE = "http://soap.sforce.com/2006/04/metadata"
ACTIVITIES = ("Event", "Task")  # their custom fields are defined once, on Activity
PERMISSION_SET = "ASCMS_TUI_Case_Manager"
CONNECTED_APP = "ASCMS_TUI"


def kit_files(contract: OrgContract | None = None) -> dict[str, str]:
    """Relative path -> file text, for the whole kit."""
    contract = contract or default_contract()
    files = {"sfdx-project.json": json.dumps({
        "packageDirectories": [{"path": "force-app", "default": True}], "name": "ascms-tui-org-setup",
        "namespace": "", "sfdcLoginUrl": "https://login.salesforce.com",
        "sourceApiVersion": contract.api_version}, indent=2) + "\n"}
    base = "force-app/main/default"
    fields_done: set[tuple[str, str]] = set()
    permitted: list[tuple[str, FieldContract]] = []
    for described in contract.objects.values():
        if described.describe.get("custom"):
            files[f"{base}/objects/{described.name}/{described.name}.object-meta.xml"] = _custom_object(described)
        holder = "Activity" if described.name in ACTIVITIES else described.name
        for field in described.fields.values():
            if not field.name.endswith("__c") or (holder, field.name) in fields_done:
                continue
            fields_done.add((holder, field.name))
            files[f"{base}/objects/{holder}/fields/{field.name}.field-meta.xml"] = _custom_field(described, field)
            if not field.master_detail:  # a master-detail field's access follows its parent
                permitted.append((holder, field))
    files[f"{base}/permissionsets/{PERMISSION_SET}.permissionset-meta.xml"] = _permission_set(contract, permitted)
    files[f"{base}/connectedApps/{CONNECTED_APP}.connectedApp-meta.xml"] = _connected_app()
    return files


def write_kit(folder: Path, contract: OrgContract | None = None) -> list[Path]:
    written = []
    for relative, text in kit_files(contract).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


# --- the pieces -------------------------------------------------------------------------------------


def _element(tag: str, children: list | None = None, text: str | None = None) -> ET.Element:
    element = ET.Element(tag)
    if text is not None:
        element.text = text
    for child in children or []:
        element.append(child)
    return element


def _leaf(tag: str, value: object) -> ET.Element:
    return _element(tag, text=str(value).lower() if isinstance(value, bool) else str(value))


def _document(root: str, children: list[ET.Element]) -> str:
    element = _element(root, children)
    element.set("xmlns", NAMESPACE)
    ET.indent(element, space="    ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="unicode") + "\n"


def _custom_object(described: ObjectContract) -> str:
    name_field = described.field("Name")
    label = described.describe.get("label") or described.name
    return _document("CustomObject", [
        _leaf("deploymentStatus", "Deployed"),
        _leaf("description", f"ascms-tui: {label} records of an Attendance Service case."),
        _leaf("label", label),
        _element("nameField", [
            _leaf("displayFormat", f"{''.join(w[0] for w in label.split())[:3].upper()}-{{000000}}"),
            _leaf("label", name_field.label if name_field else f"{label} Number"),
            _leaf("type", "AutoNumber")]),
        _leaf("pluralLabel", described.describe.get("labelPlural") or f"{label}s"),
        _leaf("sharingModel", "ControlledByParent"),
    ])


def _custom_field(described: ObjectContract, field: FieldContract) -> str:
    kind = field.type
    parts: list[ET.Element] = [_leaf("fullName", field.name)]
    if field.externalId:
        parts += [_leaf("caseSensitive", False)]
    if kind == "boolean":
        parts += [_leaf("defaultValue", False)]
    parts += [_leaf("externalId", field.externalId), _leaf("label", field.label)]
    if kind == "string":
        parts += [_leaf("length", field.length), _leaf("required", False), _leaf("type", "Text"),
                  _leaf("unique", field.unique)]
    elif kind == "textarea":
        parts += [_leaf("length", field.length), _leaf("type", "LongTextArea"), _leaf("visibleLines", 5)]
    elif kind in ("double", "int", "currency"):
        parts += [_leaf("precision", field.precision or 18), _leaf("required", False), _leaf("scale", field.scale),
                  _leaf("type", "Currency" if kind == "currency" else "Number"), _leaf("unique", False)]
    elif kind in ("date", "datetime"):
        parts += [_leaf("required", False), _leaf("type", "Date" if kind == "date" else "DateTime")]
    elif kind == "boolean":
        parts += [_leaf("type", "Checkbox")]
    elif kind == "picklist":
        values = [_element("value", [_leaf("fullName", v["value"]), _leaf("default", bool(v.get("defaultValue"))),
                                     _leaf("label", v.get("label") or v["value"])])
                  for v in field.picklistValues if v.get("active", True)]
        parts += [_leaf("required", False), _leaf("type", "Picklist"), _element("valueSet", [
            _leaf("restricted", field.restrictedPicklist),
            _element("valueSetDefinition", [_leaf("sorted", False), *values])])]
    elif kind == "reference":
        child = "".join(ch for ch in (described.describe.get("labelPlural") or described.name) if ch.isalnum())
        parts += [_leaf("referenceTo", field.referenceTo[0]), _leaf("relationshipLabel",
                                                                    described.describe.get("labelPlural", child)),
                  _leaf("relationshipName", f"ASCMS_{child}")]
        if field.master_detail:
            parts += [_leaf("relationshipOrder", 0), _leaf("reparentableMasterDetail", bool(field.updateable)),
                      _leaf("type", "MasterDetail"), _leaf("writeRequiresMasterRead", False)]
        else:
            parts += [_leaf("deleteConstraint", "SetNull"), _leaf("required", False), _leaf("type", "Lookup")]
    else:
        raise ValueError(f"{described.name}.{field.name}: no metadata for a {kind} field")
    return _document("CustomField", parts)


def _permission_set(contract: OrgContract, permitted: list[tuple[str, FieldContract]]) -> str:
    fields = [_element("fieldPermissions", [_leaf("editable", bool(f.createable or f.updateable)),
                                            _leaf("field", f"{holder}.{f.name}"), _leaf("readable", True)])
              for holder, f in sorted(permitted, key=lambda p: (p[0], p[1].name))]
    objects = []
    for described in sorted(contract.objects.values(), key=lambda o: o.name):
        if not (described.describe.get("custom") or described.name in ("Case", "Contact")):
            continue  # activities follow their case; files, users and links have no object permissions
        objects.append(_element("objectPermissions", [
            _leaf("allowCreate", True), _leaf("allowDelete", True), _leaf("allowEdit", True),
            _leaf("allowRead", True), _leaf("modifyAllRecords", False), _leaf("object", described.name),
            _leaf("viewAllRecords", False)]))
    return _document("PermissionSet", [
        _leaf("description", "What ascms-tui needs: read and write the fields and objects of the org contract "
                             "(ascms_tui/data/org_contract.json). Assign to each case manager who uses the app."),
        *fields, _leaf("hasActivationRequired", False), _leaf("label", "ascms-tui case manager"), *objects])


def _connected_app() -> str:
    return _document("ConnectedApp", [
        _leaf("contactEmail", "as-cms-admin@example.invalid"),
        _leaf("description", "ascms-tui, the offline companion for Attendance Service case managers. Sign-in by "
                             "the OAuth 2.0 device flow: enable 'Enable for Device Flow' after deploying "
                             "(docs/org-setup.md)."),
        _leaf("label", "ascms-tui"),
        _element("oauthConfig", [
            _leaf("callbackUrl", "http://localhost:1717/OauthRedirect"),  # unused by the device flow; required
            _leaf("isAdminApproved", False),
            _leaf("isConsumerSecretOptional", True),
            _leaf("isIntrospectAllTokens", False),
            _leaf("isSecretRequiredForRefreshToken", False),
            _leaf("scopes", "Api"),
            _leaf("scopes", "RefreshToken")]),
        _element("oauthPolicy", [_leaf("ipRelaxation", "ENFORCE"), _leaf("refreshTokenPolicy", "infinite")]),
    ])


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0] if args else "salesforce")
    written = write_kit(folder)
    print(f"Wrote {len(written)} files to {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
