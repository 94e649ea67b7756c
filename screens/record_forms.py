"""The case record's forms: Contact, Barrier, Student Plan (with steps), Service, UBNF, Info Request, File.

They share the recording forms' base (screens/forms.py): validation beside
each field, drafts, saving through the store in a worker. Each says what was
understood ("Tue 30 Jun 2026", "$55.95") or what is wrong, in AS-CMS's words.
"""

from __future__ import annotations

import mimetypes
from datetime import date
from itertools import count
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import DescendantBlur
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from ascms_tui.domain import (
    MAX_FILE_BYTES,
    Barrier,
    BarrierCategory,
    BarrierStatus,
    CaseFile,
    CaseRecord,
    Contact,
    ContactMethod,
    ContactRole,
    InfoRequest,
    InfoRequestAgency,
    Plan,
    PlanStatus,
    PlanStep,
    Responsible,
    Service,
    ServiceKind,
    ServiceStatus,
    Ubnf,
)
from ascms_tui.files import PLAN_DOCUMENT_NOTE, attach_file, looks_like_plan
from ascms_tui.nzinput import format_long_date, parse_nz_date, parse_nz_dollars
from ascms_tui.nztime import format_nz_date
from ascms_tui.quality import judgement_hints
from ascms_tui.store import Store
from widgets.literal import literal
from widgets.text_fields import FormField, MacronInput, MacronTextArea

from .forms import (
    FORM_SCREENS as RECORDING_FORMS,
)
from .forms import (
    Checked,
    RecordForm,
    _check_time_spent,
    _show_quality_advice,
    _show_time_spent,
    _time_spent_fields,
)

PLAN_RULE = (
    "A plan can be In Progress only with at least one step (an action and who is responsible): "
    "reporting counts a Student Plan only then. Add a step (ctrl+n), or keep it as Draft."
)
ENGAGEMENT_NOTE = "the whānau engagement measure applies only where current contact details are held."


def choices(values) -> list[tuple[str, str]]:
    """Select options from a picklist, in AS-CMS's wording."""
    return [(value.value, value.value) for value in values]


def barrier_choices(barriers: list[Barrier]) -> list[tuple[Text, str]]:
    """The case's barriers for a 'linked barrier' list: category, status, the start of the description."""
    options = []
    for barrier in sorted(barriers, key=lambda b: (b.status != BarrierStatus.ACTIVE, b.category.value)):
        words = " ".join(barrier.description.split())
        label = f"{barrier.category.value} ({barrier.status.value})" + (f": {words[:40]}" if words else "")
        options.append((literal(label), barrier.id))
    return options


class CaseRecordForm(RecordForm):
    """A form for one of the case record's types (not an activity on the timeline)."""

    CSS_PATH: ClassVar = ["forms.tcss", "record_forms.tcss"]
    # Values the form checks that are not fields of the record (a plan's steps, a file's path).
    FORM_VALUES: ClassVar[frozenset[str]] = frozenset()
    # Long-text fields whose wording gets the OIA / Privacy Act advice.
    ADVISED_TEXT: ClassVar[tuple[str, ...]] = ()
    TIME_SPENT: ClassVar[bool] = False  # has Hours and Minutes, with their total shown

    def candidate(self, values: dict[str, Any], failed_fields: set[str] = frozenset()) -> CaseRecord:
        return super().candidate({k: v for k, v in values.items() if k not in self.FORM_VALUES}, failed_fields)

    def record_changes(self, values: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in values.items() if k not in self.FORM_VALUES}

    def check_required_choice(self, content: dict[str, Any], checked: Checked, key: str, message: str) -> None:
        if content[key]:
            checked.values[key] = content[key]
        else:
            checked.error(key, message)

    def optional_choice(self, content: dict[str, Any], checked: Checked, key: str) -> None:
        checked.values[key] = content[key] or None

    def after_check(self, content: dict[str, Any], checked: Checked) -> None:
        if self.ADVISED_TEXT:
            advice = [a for key in self.ADVISED_TEXT for a in judgement_hints(content[key])]
            _show_quality_advice(self, list({a.message: a for a in advice}.values()))
        if self.TIME_SPENT:
            _show_time_spent(self, checked)

    def linked_barrier_field(self) -> ComposeResult:
        barriers = self.app.store.records(Barrier, self.case_id)  # one case's few barriers
        yield FormField(
            "Linked barrier",
            Select(barrier_choices(barriers), prompt="No linked barrier", id="barrier-id", allow_blank=True),
            key="barrier_id",
        )


# --- Contact ------------------------------------------------------------------------------


class ContactForm(CaseRecordForm):
    kind = "contact"
    model = Contact
    MODEL_FIELDS: ClassVar[dict[str, str]] = {
        key: key
        for key in ("name", "role", "phone", "email", "address", "preferred_contact_method",
                    "details_current", "details_confirmed_on")
    }
    EXTRA_LABELS: ClassVar[dict[str, str]] = {"Details confirmed on": "details_confirmed_on"}

    def compose_fields(self) -> ComposeResult:
        with Horizontal(classes="field-row"):
            yield FormField("Name", MacronInput(id="name", placeholder="e.g. Whetū Whaanga"), key="name", macrons=True)
            yield FormField(
                "Role",
                Select(choices(ContactRole), prompt="Choose a role", id="role", allow_blank=True),
                key="role",
            )
        with Horizontal(classes="field-row"):
            yield FormField("Phone", Input(id="phone", placeholder="e.g. 021 555 0123"), key="phone")
            yield FormField("Email", Input(id="email", placeholder="name@example.co.nz"), key="email")
            yield FormField(
                "Preferred contact method",
                Select(choices(ContactMethod), prompt="Not known", id="preferred-contact-method", allow_blank=True),
                key="preferred_contact_method",
            )
        yield FormField("Address", MacronInput(id="address", placeholder="Street, suburb, town"),
                        key="address", macrons=True)
        with Horizontal(classes="field-row"):
            yield FormField("", Checkbox("Details are current", id="details-current"),
                            key="details_current", classes="checkbox wide-checkbox")
            yield FormField("Last confirmed", Input(id="details-confirmed-on", placeholder="d/m/yyyy"),
                            key="details_confirmed_on", classes="date")
            yield Static("", id="engagement-note")

    def blank_content(self) -> dict[str, Any]:
        return {key: False if key == "details_current" else "" for key in self.MODEL_FIELDS}

    def content_of(self, record: CaseRecord) -> dict[str, Any]:
        assert isinstance(record, Contact)
        return {
            "name": record.name,
            "role": record.role.value,
            "phone": record.phone or "",
            "email": record.email or "",
            "address": record.address or "",
            "preferred_contact_method": record.preferred_contact_method.value if record.preferred_contact_method else "",
            "details_current": record.details_current,
            "details_confirmed_on": format_nz_date(record.details_confirmed_on) if record.details_confirmed_on else "",
        }

    @on(Checkbox.Changed, "#details-current")
    def _current_ticked(self, event: Checkbox.Changed) -> None:
        # Ticking means "confirmed now" unless a date says otherwise.
        confirmed = self.query_one("#details-confirmed-on", Input)
        if event.value and not confirmed.value.strip():
            confirmed.value = format_nz_date(self.app.today())

    def check_content(self, content: dict[str, Any], checked: Checked) -> None:
        checked.values["name"] = content["name"].strip()
        self.check_required_choice(content, checked, "role", "Role is required: choose who this contact is")
        for key in ("phone", "email", "address"):
            checked.values[key] = content[key].strip()
        self.optional_choice(content, checked, "preferred_contact_method")
        current = bool(content["details_current"])
        checked.values["details_current"] = current
        self.check_date(content, checked, "details_confirmed_on", "Last confirmed",
                        empty_note="When were they last confirmed?" if current else "")

    def after_check(self, content: dict[str, Any], checked: Checked) -> None:
        current = bool(content["details_current"])
        note = ("Current details held: " if current else "Not current: ") + ENGAGEMENT_NOTE
        self.query_one("#engagement-note", Static).update(note)


# --- Barrier -------------------------------------------------------------------------------


class BarrierForm(CaseRecordForm):
    kind = "barrier"
    model = Barrier
    MODEL_FIELDS: ClassVar[dict[str, str]] = {
        "category": "category", "status": "status", "identified_on": "identified_on", "description": "description",
    }
    ADVISED_TEXT = ("description",)

    def compose_fields(self) -> ComposeResult:
        with Horizontal(classes="field-row"):
            yield FormField(
                "Category",
                Select(choices(BarrierCategory), prompt="Choose a category", id="category", allow_blank=True),
                key="category",
            )
            yield FormField("Status", Select(choices(BarrierStatus), id="status", allow_blank=False), key="status")
            yield FormField("Date identified", Input(id="identified-on", placeholder="d/m/yyyy"), key="identified_on")
        yield FormField(
            "Description",
            MacronTextArea(id="description", placeholder="What gets in the way of attendance, as the whānau and school describe it"),
            key="description",
            classes="long-text",
            macrons=True,
        )
        yield Static("", id="quality-advice", classes="quality-advice")

    def blank_content(self) -> dict[str, Any]:
        return {"category": "", "status": BarrierStatus.ACTIVE.value,
                "identified_on": format_nz_date(self.app.today()), "description": ""}

    def content_of(self, record: CaseRecord) -> dict[str, Any]:
        assert isinstance(record, Barrier)
        return {
            "category": record.category.value,
            "status": record.status.value,
            "identified_on": format_nz_date(record.identified_on) if record.identified_on else "",
            "description": record.description,
        }

    def check_content(self, content: dict[str, Any], checked: Checked) -> None:
        self.check_required_choice(content, checked, "category", "Category is required: choose the closest one, or Other")
        checked.values["status"] = content["status"] or BarrierStatus.ACTIVE.value
        self.check_date(content, checked, "identified_on", "Date identified", empty_note="Not known")
        checked.values["description"] = content["description"]


# --- Student Plan with its steps -------------------------------------------------------------------


class StepField(FormField):
    """One plan step on one line: action, who is responsible, due date, done, remove."""

    def __init__(self, serial: int, number: int, step: dict[str, Any]) -> None:
        self.serial = serial  # never reused in this form: widget ids stay unique
        self.record_id = step.get("id") or None  # None: a step added in this form
        self._initial = dict(step)
        prefix = f"step-{serial}"
        offered = {r.value for r in Responsible}
        self._action = MacronInput(step.get("action", ""), id=f"{prefix}-action", classes="step-action",
                                   placeholder="Action, e.g. Morning check-in call")
        self._responsible = Select(choices(Responsible), prompt="Responsible", id=f"{prefix}-responsible",
                                   allow_blank=True,
                                   value=step["responsible"] if step.get("responsible") in offered else Select.NULL)
        self._due = Input(step.get("due_date", ""), id=f"{prefix}-due", placeholder="due date", classes="step-due")
        self._done = Checkbox("Done", step.get("done", False), id=f"{prefix}-done")
        super().__init__(
            f"Step {number}",
            Horizontal(
                self._action, self._responsible, self._due, self._done,
                Button("Remove", id=f"{prefix}-remove", compact=True, classes="remove-step",
                       tooltip="Remove this step (it is deleted when the plan is saved)"),
                classes="step-row",
            ),
            key=f"step_{serial}",
            classes="step",
            macrons=True,
        )
        self.set_number(number)

    def set_number(self, number: int) -> None:
        """Messages go to a step by its place in the list ("step_2"), whatever its serial."""
        self.key = f"step_{number}"
        self.label_text = f"Step {number}"
        for label in self.query(".field-label"):
            label.update(self.label_text)  # type: ignore[attr-defined]

    def _message(self, text: str) -> None:
        if self.query(".field-message"):
            super()._message(text)
        else:  # checked before its lines are composed: shown once they are
            self._early_message = text

    def on_mount(self) -> None:
        early = getattr(self, "_early_message", None)
        if early is not None:
            super()._message(early)

    def on_descendant_blur(self, event: DescendantBlur) -> None:
        if isinstance(event.widget, Input):
            event.widget.scroll_to(x=0, animate=False)  # a narrow line shows an action from its start

    def content(self) -> dict[str, Any]:
        if not self._responsible.is_mounted:
            return dict(self._initial)  # mounted a moment ago: what it was built with
        responsible = self._responsible.value
        return {
            "id": self.record_id or "",
            "action": self._action.value,
            "responsible": "" if responsible is Select.NULL else str(responsible),
            "due_date": self._due.value,
            "done": self._done.value,
        }


def _blank_step(step: dict[str, Any]) -> bool:
    return not (step["action"].strip() or step["responsible"] or step["due_date"].strip() or step["done"])


class PlanForm(CaseRecordForm):
    kind = "plan"
    model = Plan
    MODEL_FIELDS: ClassVar[dict[str, str]] = {"goals": "goals", "status": "status", "review_date": "review_date"}
    FORM_VALUES = frozenset({"steps"})
    ADVISED_TEXT = ("goals",)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "add_step", "Add step", id="plan.add_step", tooltip="Add a step to this plan"),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._serials = count(1)
        self._steps: list[PlanStep] = []

    def compose_fields(self) -> ComposeResult:
        if self.record is not None:
            self._steps = sorted(
                (s for s in self.app.store.records(PlanStep, self.case_id) if s.plan_id == self.record.id),
                key=lambda s: (s.due_date or date.max, s.recorded_at),
            )
        yield FormField(
            "Goals",
            MacronTextArea(id="goals", placeholder="What the student, whānau and school agreed to work towards"),
            key="goals",
            classes="long-text goals",
            macrons=True,
        )
        yield Static("", id="quality-advice", classes="quality-advice")
        with Horizontal(classes="field-row"):
            yield FormField("Status", Select(choices(PlanStatus), id="status", allow_blank=False), key="status")
            yield FormField("Review date", Input(id="review-date", placeholder="d/m/yyyy"), key="review_date")
        with Horizontal(id="steps-heading"):
            yield Label("Steps: an action, who is responsible, and when", classes="steps-title")
            yield Button("Add step (ctrl+n)", id="add-step", compact=True)
        with Vertical(id="steps"):
            yield from self._step_fields(self._initial_steps())

    def _initial_steps(self) -> list[dict[str, Any]]:
        if self.record is None:
            return [_step_content(None)]  # one empty line invites the first step
        return [_step_content(step) for step in self._steps]

    def _step_fields(self, steps: list[dict[str, Any]], first: int = 1) -> list[StepField]:
        return [StepField(next(self._serials), number, step) for number, step in enumerate(steps, first)]

    def blank_content(self) -> dict[str, Any]:
        return {"goals": "", "status": PlanStatus.DRAFT.value, "review_date": "", "steps": [_step_content(None)]}

    def content_of(self, record: CaseRecord) -> dict[str, Any]:
        assert isinstance(record, Plan)
        return {
            "goals": record.goals,
            "status": record.status.value,
            "review_date": format_nz_date(record.review_date) if record.review_date else "",
            "steps": [_step_content(step) for step in self._steps],
        }

    # -- the step lines ---------------------------------------------------------------------------

    def read_content(self) -> dict[str, Any]:
        content = super().read_content()
        content["steps"] = [field.content() for field in self.query(StepField)]
        return content

    def fill(self, content: dict[str, Any]) -> None:
        super().fill({k: v for k, v in content.items() if k != "steps"})
        steps = content.get("steps")
        if steps is not None and steps != [field.content() for field in self.query(StepField)]:
            self.run_worker(self._replace_steps(steps), group="steps")

    async def _replace_steps(self, steps: list[dict[str, Any]]) -> None:
        box = self.query_one("#steps", Vertical)
        await box.remove_children()
        await box.mount_all(self._step_fields(steps))
        self._live_validate()  # the new lines get their messages

    async def action_add_step(self) -> None:
        box = self.query_one("#steps", Vertical)
        field = self._step_fields([_step_content(None)], first=len(box.children) + 1)[0]
        await box.mount(field)
        self._typed()
        field.query_one(".step-action", Input).focus()
        field.scroll_visible()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button_id = event.button.id or ""
        if button_id == "add-step":
            event.stop()
            self.action_add_step()
        elif button_id.endswith("-remove"):
            event.stop()
            field = next(a for a in event.button.ancestors if isinstance(a, StepField))
            self.run_worker(self._remove_step(field), group="steps")
        else:
            super().on_button_pressed(event)

    async def _remove_step(self, field: StepField) -> None:
        await field.remove()
        for number, remaining in enumerate(self.query(StepField), 1):
            remaining.set_number(number)
        self._typed()
        self._live_validate()

    def _show(self, content: dict[str, Any], checked: Checked) -> None:
        # A step's messages show once that step differs from what the form opened with.
        pristine = self._pristine.get("steps", [])
        for number, step in enumerate(content.get("steps", []), 1):
            if number > len(pristine) or step != pristine[number - 1]:
                self._ever_touched.add(f"step_{number}")
        super()._show(content, checked)

    # -- checking -------------------------------------------------------------------------------

    def check_content(self, content: dict[str, Any], checked: Checked) -> None:
        checked.values["goals"] = content["goals"]
        status = content["status"] or PlanStatus.DRAFT.value
        checked.values["status"] = status
        self.check_date(content, checked, "review_date", "Review date", empty_note="No review date yet")
        steps = []
        for number, step in enumerate(content["steps"], 1):
            key = f"step_{number}"
            if _blank_step(step):
                checked.notes[key] = "Empty: not saved"
                continue
            problems = []
            if not step["action"].strip():
                problems.append("Action is required")
            if not step["responsible"]:
                problems.append("choose who is responsible")
            due = None
            if step["due_date"].strip():
                try:
                    due = parse_nz_date(step["due_date"], self.app.today())
                except ValueError as error:
                    problems.append(f"Due date: {error}")
            if problems:
                text = "; ".join(problems)
                checked.error(key, text[0].upper() + text[1:])
                continue
            steps.append({"id": step["id"], "action": step["action"].strip(), "responsible": step["responsible"],
                          "due_date": due, "done": bool(step["done"])})
            checked.notes[key] = "Due " + format_long_date(due) if due else "No due date"
        checked.values["steps"] = steps
        if status == PlanStatus.IN_PROGRESS.value and not steps:
            checked.error("status", PLAN_RULE)
        elif status == PlanStatus.IN_PROGRESS.value:
            checked.notes["status"] = f"Counted for reporting: In Progress with {_steps(len(steps))}."
        elif status == PlanStatus.DRAFT.value:
            checked.notes["status"] = "A Draft is not counted for reporting; set In Progress once the plan is agreed."

    def save_record(self, store: Store, values: dict[str, Any]) -> CaseRecord:
        plan = self.candidate(values) if self.record is None else self.record
        steps = [
            PlanStep(**({"id": step["id"]} if step["id"] else {}), case_id=self.case_id, plan_id=plan.id,
                     action=step["action"], responsible=step["responsible"], due_date=step["due_date"],
                     done=step["done"])
            for step in values["steps"]
        ]
        if self.record is None:
            store.create_all([plan, *steps])
            return plan
        return store.save_plan(plan.id, self.record_changes(values), steps)

    def message_field(self, message: str, content: dict[str, Any]) -> str | None:
        if "In Progress" in message and "step" in message:
            return "status"
        return super().message_field(message, content)


def _step_content(step: PlanStep | None) -> dict[str, Any]:
    if step is None:
        return {"id": "", "action": "", "responsible": "", "due_date": "", "done": False}
    return {"id": step.id, "action": step.action, "responsible": step.responsible.value,
            "due_date": format_nz_date(step.due_date) if step.due_date else "", "done": step.done}


def _steps(n: int) -> str:
    return f"{n} step" if n == 1 else f"{n} steps"


# --- Service (referral) ------------------------------------------------------------------------


class ServiceForm(CaseRecordForm):
    kind = "service"
    model = Service
    MODEL_FIELDS: ClassVar[dict[str, str]] = {
        key: key
        for key in ("kind", "agency", "reason", "referred_on", "status", "outcome", "follow_up_on", "barrier_id",
                    "hours", "minutes")
    }
    EXTRA_LABELS: ClassVar[dict[str, str]] = {"Time spent": "hours", "Follow-up date is before": "follow_up_on"}
    ADVISED_TEXT = ("reason", "outcome")
    TIME_SPENT = True

    def compose_fields(self) -> ComposeResult:
        with Horizontal(classes="field-row"):
            yield FormField(
                "Kind",
                Select(choices(ServiceKind), prompt="Choose a kind of service", id="kind", allow_blank=True),
                key="kind",
            )
            yield FormField("Agency or provider",
                            MacronInput(id="agency", placeholder="e.g. Whānau Ora navigator, Te Tai Tokerau"),
                            key="agency", macrons=True)
        with Horizontal(classes="field-row"):
            yield FormField("Date referred", Input(id="referred-on", placeholder="d/m/yyyy"), key="referred_on")
            yield FormField("Status", Select(choices(ServiceStatus), id="status", allow_blank=False), key="status")
            yield FormField("Follow-up date", Input(id="follow-up-on", placeholder="d/m/yyyy"), key="follow_up_on")
        yield FormField("Reason", MacronTextArea(id="reason", placeholder="Why the referral was made"),
                        key="reason", classes="long-text short-text", macrons=True)
        yield FormField("Outcome", MacronTextArea(id="outcome", placeholder="What came of it (when known)"),
                        key="outcome", classes="long-text short-text", macrons=True)
        yield Static("", id="quality-advice", classes="quality-advice")
        with Horizontal(classes="field-row"):
            yield from self.linked_barrier_field()
            yield from _time_spent_fields()

    def blank_content(self) -> dict[str, Any]:
        return {"kind": "", "agency": "", "reason": "", "referred_on": format_nz_date(self.app.today()),
                "status": ServiceStatus.REFERRED.value, "outcome": "", "follow_up_on": "", "barrier_id": "",
                "hours": "", "minutes": ""}

    def content_of(self, record: CaseRecord) -> dict[str, Any]:
        assert isinstance(record, Service)
        return {
            "kind": record.kind.value,
            "agency": record.agency,
            "reason": record.reason,
            "referred_on": format_nz_date(record.referred_on),
            "status": record.status.value,
            "outcome": record.outcome,
            "follow_up_on": format_nz_date(record.follow_up_on) if record.follow_up_on else "",
            "barrier_id": record.barrier_id or "",
            "hours": str(record.hours) if record.hours else "",
            "minutes": str(record.minutes) if record.minutes else "",
        }

    @on(Select.Changed, "#kind")
    def _kind_chosen(self, event: Select.Changed) -> None:
        agency = self.query_one("#agency", Input)
        if event.value == ServiceKind.OT_SECTION_19.value and not agency.value.strip():
            agency.value = "Oranga Tamariki"

    def check_content(self, content: dict[str, Any], checked: Checked) -> None:
        self.check_required_choice(content, checked, "kind", "Kind is required: choose the kind of service")
        checked.values["agency"] = content["agency"].strip()
        checked.values["reason"] = content["reason"]
        referred = self.check_date(content, checked, "referred_on", "Date referred", required=True)
        checked.values["status"] = content["status"] or ServiceStatus.REFERRED.value
        checked.values["outcome"] = content["outcome"]
        follow_up = self.check_date(content, checked, "follow_up_on", "Follow-up date", empty_note="No follow-up date")
        if referred and follow_up and follow_up < referred:  # said at once, whatever else is missing
            checked.error("follow_up_on", "Follow-up date is before Date referred")
        self.optional_choice(content, checked, "barrier_id")
        _check_time_spent(content, checked)


# --- UBNF ----------------------------------------------------------------------------------------


class UbnfForm(CaseRecordForm):
    kind = "ubnf"
    model = Ubnf
    MODEL_FIELDS: ClassVar[dict[str, str]] = {
        "provided": "provided", "amount": "amount", "provided_on": "provided_on", "barrier_id": "barrier_id",
    }

    def compose_fields(self) -> ComposeResult:
        yield Static("Support from the Unmet Basic Needs Fund.", classes="form-intro")
        yield FormField("What was provided",
                        MacronInput(id="provided", placeholder="e.g. School shoes and a raincoat"),
                        key="provided", macrons=True)
        with Horizontal(classes="field-row"):
            yield FormField("Amount (NZD)", Input(id="amount", placeholder="e.g. 55.95"), key="amount")
            yield FormField("Date", Input(id="provided-on", placeholder="d/m/yyyy"), key="provided_on")
        with Horizontal(classes="field-row"):
            yield from self.linked_barrier_field()

    def blank_content(self) -> dict[str, Any]:
        return {"provided": "", "amount": "", "provided_on": format_nz_date(self.app.today()), "barrier_id": ""}

    def content_of(self, record: CaseRecord) -> dict[str, Any]:
        assert isinstance(record, Ubnf)
        return {"provided": record.provided, "amount": f"{record.amount:.2f}",
                "provided_on": format_nz_date(record.provided_on), "barrier_id": record.barrier_id or ""}

    def check_content(self, content: dict[str, Any], checked: Checked) -> None:
        checked.values["provided"] = content["provided"].strip()
        try:
            amount = parse_nz_dollars(content["amount"])
        except ValueError as error:
            checked.error("amount", str(error))
        else:
            checked.values["amount"] = amount
            checked.notes["amount"] = f"${amount:,.2f} NZD"
        self.check_date(content, checked, "provided_on", "Date", required=True)
        self.optional_choice(content, checked, "barrier_id")
        if not content["barrier_id"]:
            checked.notes["barrier_id"] = "Which barrier this support addresses (add the barrier first if it is not listed)"


# --- Info Request ----------------------------------------------------------------------------------


class InfoRequestForm(CaseRecordForm):
    kind = "info_request"
    model = InfoRequest
    MODEL_FIELDS: ClassVar[dict[str, str]] = {
        key: key for key in ("agency", "requested_on", "request", "outcome", "answered_on", "hours", "minutes")
    }
    EXTRA_LABELS: ClassVar[dict[str, str]] = {"Time spent": "hours", "Date answered is before": "answered_on"}
    ADVISED_TEXT = ("request", "outcome")
    TIME_SPENT = True

    def compose_fields(self) -> ComposeResult:
        yield Static("A request to MSD or Immigration New Zealand for a student's address or location.",
                     classes="form-intro")
        with Horizontal(classes="field-row"):
            yield FormField(
                "Agency",
                Select(choices(InfoRequestAgency), prompt="Choose MSD or Immigration", id="agency", allow_blank=True),
                key="agency",
            )
            yield FormField("Date requested", Input(id="requested-on", placeholder="d/m/yyyy"), key="requested_on")
            yield FormField("Date answered", Input(id="answered-on", placeholder="d/m/yyyy"), key="answered_on")
        yield FormField("What was asked", MacronTextArea(id="request", placeholder="What was asked, and for whom"),
                        key="request", classes="long-text short-text", macrons=True)
        yield FormField("Outcome", MacronTextArea(id="outcome", placeholder="What the agency answered (when known)"),
                        key="outcome", classes="long-text short-text", macrons=True)
        yield Static("", id="quality-advice", classes="quality-advice")
        with Horizontal(classes="field-row"):
            yield from _time_spent_fields()

    def blank_content(self) -> dict[str, Any]:
        return {"agency": "", "requested_on": format_nz_date(self.app.today()), "request": "", "outcome": "",
                "answered_on": "", "hours": "", "minutes": ""}

    def content_of(self, record: CaseRecord) -> dict[str, Any]:
        assert isinstance(record, InfoRequest)
        return {
            "agency": record.agency.value,
            "requested_on": format_nz_date(record.requested_on),
            "request": record.request,
            "outcome": record.outcome,
            "answered_on": format_nz_date(record.answered_on) if record.answered_on else "",
            "hours": str(record.hours) if record.hours else "",
            "minutes": str(record.minutes) if record.minutes else "",
        }

    def check_content(self, content: dict[str, Any], checked: Checked) -> None:
        self.check_required_choice(content, checked, "agency", "Agency is required: choose MSD or Immigration")
        requested = self.check_date(content, checked, "requested_on", "Date requested", required=True)
        checked.values["request"] = content["request"]
        checked.values["outcome"] = content["outcome"]
        answered = self.check_date(content, checked, "answered_on", "Date answered", empty_note="Not answered yet")
        if requested and answered and answered < requested:
            checked.error("answered_on", "Date answered is before Date requested")
        _check_time_spent(content, checked)


# --- File ---------------------------------------------------------------------------------------


class FileForm(CaseRecordForm):
    """Attach a document from this computer (copied in, queued for upload); an edit changes its description."""

    kind = "file"
    model = CaseFile
    MODEL_FIELDS: ClassVar[dict[str, str]] = {"path": "file_name", "description": "description"}
    EXTRA_LABELS: ClassVar[dict[str, str]] = {"Size": "path"}
    FORM_VALUES = frozenset({"source"})

    def compose_fields(self) -> ComposeResult:
        attached = self.record is not None
        yield FormField(
            "File on this computer" if not attached else "File",
            Input(id="path", placeholder="e.g. ~/Documents/Attendance plan.pdf", disabled=attached),
            key="path",
        )
        yield Static("", id="plan-note", classes="quality-advice")
        yield FormField("Description", MacronTextArea(id="description", placeholder="What the document is, and from whom"),
                        key="description", classes="long-text", macrons=True)

    def blank_content(self) -> dict[str, Any]:
        return {"path": "", "description": ""}

    def content_of(self, record: CaseRecord) -> dict[str, Any]:
        assert isinstance(record, CaseFile)
        return {"path": record.file_name, "description": record.description}

    def check_content(self, content: dict[str, Any], checked: Checked) -> None:
        checked.values["description"] = content["description"]
        if self.record is not None:
            record = self.record
            assert isinstance(record, CaseFile)
            checked.notes["path"] = f"{record.content_type or 'file'} · {_size(record.size_bytes)} · kept on this laptop"
            return
        typed = content["path"].strip()
        if not typed:
            checked.error("path", "Type the path of the file to attach, e.g. ~/Documents/Attendance plan.pdf")
            return
        source = Path(typed).expanduser()
        try:
            if source.is_dir():
                checked.error("path", f"{source} is a folder: type the path of a file in it")
                return
            if not source.is_file():
                checked.error("path", f"There is no file at {source}")
                return
            size = source.stat().st_size
        except OSError as error:
            checked.error("path", f"Cannot read {source}: {error.strerror or error}")
            return
        if size > MAX_FILE_BYTES:
            checked.error("path", f"{source.name} is {size / 1024 / 1024:.1f} MB; files can be at most "
                                  f"{MAX_FILE_BYTES // (1024 * 1024)} MB")
            return
        kind = mimetypes.guess_type(source.name)[0] or "file"
        checked.values.update(file_name=source.name, size_bytes=size, source=str(source))
        checked.notes["path"] = f"{source.name} · {kind} · {_size(size)}: copied into ascms-tui and queued for upload"

    def after_check(self, content: dict[str, Any], checked: Checked) -> None:
        name = Path(content["path"].strip()).name
        note = self.query_one("#plan-note", Static)
        plan_like = bool(name) and looks_like_plan(name)
        if plan_like != note.display:
            note.update(PLAN_DOCUMENT_NOTE)
            note.display = plan_like

    def save_record(self, store: Store, values: dict[str, Any]) -> CaseRecord:
        if self.record is None:
            return attach_file(store, self.case_id, values["source"], values["description"])
        return store.update(CaseFile, self.record.id, {"description": values["description"]})

    def _saved(self, record: CaseRecord) -> None:
        if self.record is None and isinstance(record, CaseFile) and looks_like_plan(record.file_name):
            self.app.notify(PLAN_DOCUMENT_NOTE, title="Plan document attached", severity="warning", timeout=10)
        super()._saved(record)


def _size(size: int) -> str:
    return f"{size:,} bytes" if size < 1024 else f"{size / 1024:,.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


# Every form the app opens by kind: the recording forms and the case record's.
FORM_SCREENS: dict[str, type[RecordForm]] = {
    **RECORDING_FORMS,
    "contact": ContactForm,
    "barrier": BarrierForm,
    "plan": PlanForm,
    "service": ServiceForm,
    "ubnf": UbnfForm,
    "info_request": InfoRequestForm,
    "file": FileForm,
}
# The model each kind edits (the Related tab removes records by it).
FORM_MODELS = {kind: screen.model for kind, screen in FORM_SCREENS.items()}
