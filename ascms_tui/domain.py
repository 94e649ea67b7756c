"""The case record, as AS-CMS holds it.

Picklist values are AS-CMS's exact wording: quarterly reporting matches some of
them letter for letter (the two initial-meeting Event subjects above all).
Validation messages are written for a case manager, not a developer: each
names the field by its AS-CMS label and says what would be accepted.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .nztime import nz_midnight, nz_today, to_utc, utc_now
from .picklists import *
from .picklists import (
    COMMENT_BODY_MAX_BYTES,
    CONTACT_NAME_MAX,
    EMAIL_MAX,
    FILE_DESCRIPTION_MAX,
    INITIAL_MEETING_SUBJECTS,
    LONG_TEXT_MAX,
    MAX_FILE_BYTES,
    MAX_HOURS,
    PHONE_MAX,
    SHORT_TEXT_MAX,
    SUBJECT_MAX,
    BarrierCategory,
    BarrierStatus,
    CaseStatus,
    CaseType,
    ContactMethod,
    ContactRole,
    InfoRequestAgency,
    PlanStatus,
    Responsible,
    ServiceKind,
    ServiceStatus,
    StatusReason,
    TaskPriority,
    TaskStatus,
)
from .text import clean_text, utf8_length

# --- field types -------------------------------------------------------------


def _max_chars(limit: int):
    def check(value: str) -> str:
        if len(value) > limit:
            raise ValueError(
                f"is {len(value):,} characters long; AS-CMS accepts at most {limit:,}"
            )
        return value

    return check


def _required(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _clean(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


def _blank_to_none(value: Any) -> Any:
    value = _clean(value)
    return None if isinstance(value, str) and not value.strip() else value


ShortText = Annotated[str, BeforeValidator(_clean), AfterValidator(_max_chars(SHORT_TEXT_MAX))]
RequiredText = Annotated[ShortText, AfterValidator(_required)]
OptionalText = Annotated[
    str | None, BeforeValidator(_blank_to_none), AfterValidator(lambda v: v if v is None else _max_chars(SHORT_TEXT_MAX)(v))
]
LongText = Annotated[str, BeforeValidator(_clean), AfterValidator(_max_chars(LONG_TEXT_MAX))]
Subject = Annotated[str, BeforeValidator(_clean), AfterValidator(_max_chars(SUBJECT_MAX)), AfterValidator(_required)]


def _new_id() -> str:
    return str(uuid.uuid4())


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _uuid_text(value: Any) -> Any:
    if isinstance(value, str) and _CANONICAL_UUID.fullmatch(value):
        return value  # already canonical: the common case, and 300,000 times per large import
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise ValueError("must be a UUID such as 3f2b8c1e-4a7d-4c2a-9b1e-0d5f6a7b8c9d") from None
    return value


RecordId = Annotated[str, BeforeValidator(_uuid_text)]
UtcDateTime = Annotated[datetime, AfterValidator(to_utc)]


class TimeSpentMixin(BaseModel):
    """The Hours and Minutes fields of Tasks and Events (and, here, Services and Info Requests)."""

    model_config = ConfigDict(defer_build=True)

    hours: int = Field(0, title="Hours")
    minutes: int = Field(0, title="Minutes")

    @field_validator("hours")
    @classmethod
    def _hours_in_range(cls, value: int) -> int:
        if not 0 <= value <= MAX_HOURS:
            raise ValueError(f"must be from 0 to {MAX_HOURS} for one record (got {value})")
        return value

    @field_validator("minutes")
    @classmethod
    def _minutes_in_range(cls, value: int) -> int:
        if not 0 <= value <= 59:
            raise ValueError(f"must be from 0 to 59 (got {value}); put whole hours in Hours")
        return value

    @model_validator(mode="after")
    def _not_over_a_day(self):
        if self.hours * 60 + self.minutes > MAX_HOURS * 60:
            raise ValueError(f"Time spent is over {MAX_HOURS} hours for one record")
        return self

    @property
    def time_spent_minutes(self) -> int:
        return self.hours * 60 + self.minutes


# --- records -----------------------------------------------------------------


class Record(BaseModel):
    """Anything the store keeps: a client id that never changes, and the central Id once known."""

    # defer_build: schemas are built at first validation, not at import (start-up time).
    model_config = ConfigDict(extra="forbid", defer_build=True)

    record_type: ClassVar[str]
    label: ClassVar[str]

    id: RecordId = Field(default_factory=_new_id, title="Record id")
    server_id: OptionalText = Field(None, title="AS-CMS Id")
    server_version: OptionalText = Field(None, title="AS-CMS version")


class Student(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: RequiredText = Field(title="Student name")
    known_as: OptionalText = Field(None, title="Known as")
    nsn: OptionalText = Field(None, title="NSN")
    date_of_birth: date | None = Field(None, title="Date of birth")
    gender: OptionalText = Field(None, title="Gender")
    year_level: int | None = Field(None, title="Year level")
    ethnicity: OptionalText = Field(None, title="Ethnicity")
    iwi: OptionalText = Field(None, title="Iwi")

    @field_validator("nsn")
    @classmethod
    def _nsn_digits(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\d{1,10}", value):
            raise ValueError("must be the student's National Student Number: up to 10 digits")
        return value

    @field_validator("date_of_birth")
    @classmethod
    def _born_in_the_past(cls, value: date | None) -> date | None:
        if value is not None and value > nz_today():
            raise ValueError(f"{value:%d/%m/%Y} is in the future")
        return value

    @field_validator("year_level")
    @classmethod
    def _school_year(cls, value: int | None) -> int | None:
        if value is not None and not 0 <= value <= 13:
            raise ValueError(f"must be from 0 to 13 (got {value})")
        return value

    @property
    def display_name(self) -> str:
        return self.known_as or self.name


class School(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: OptionalText = Field(None, title="School")
    number: OptionalText = Field(None, title="School number")
    primary_contact: OptionalText = Field(None, title="School primary contact")


class Case(Record):
    record_type = "case"
    label = "Case"

    case_number: str = Field(title="Case number")
    case_type: CaseType = Field(title="Case type")
    status: CaseStatus = Field(CaseStatus.OPEN, title="Status")
    status_reason: StatusReason | None = Field(None, title="Status reason")
    referral_date: date = Field(title="Referral date")
    migrated: bool = Field(False, title="Migrated")
    case_owner: OptionalText = Field(None, title="Case owner")
    catchment: OptionalText = Field(None, title="Catchment")
    student: Student
    school: School = Field(default_factory=School)
    created_at: UtcDateTime = Field(default_factory=utc_now, title="Created")

    @field_validator("case_number", mode="before")
    @classmethod
    def _eight_digits(cls, value: Any) -> Any:
        value = _clean(value)
        if isinstance(value, str) and not re.fullmatch(r"\d{8}", value.strip()):
            raise ValueError("must be the 8-digit AS-CMS case number, e.g. 00307473")
        return value.strip() if isinstance(value, str) else value

    @field_validator("referral_date")
    @classmethod
    def _referral_not_future(cls, value: date) -> date:
        if value > nz_today():
            raise ValueError(f"{value:%d/%m/%Y} is in the future")
        return value


class CaseRecord(Record):
    """A record that belongs to one case."""

    case_id: RecordId = Field(title="Case id")
    recorded_at: UtcDateTime = Field(default_factory=utc_now, title="Recorded at")


class Contact(CaseRecord):
    record_type = "contact"
    label = "Contact"

    name: Annotated[RequiredText, AfterValidator(_max_chars(CONTACT_NAME_MAX))] = Field(title="Name")
    role: ContactRole = Field(title="Role")
    phone: OptionalText = Field(None, title="Phone")
    email: OptionalText = Field(None, title="Email")
    address: OptionalText = Field(None, title="Address")
    preferred_contact_method: ContactMethod | None = Field(None, title="Preferred contact method")
    details_current: bool = Field(False, title="Details current")
    details_confirmed_on: date | None = Field(None, title="Details confirmed on")

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if len(value) > PHONE_MAX or not re.fullmatch(r"[0-9+() \-]{3,}", value):
            raise ValueError("must be digits, spaces, +, - or brackets, e.g. 021 555 0123")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if len(value) > EMAIL_MAX or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ValueError("is not an email address like name@example.co.nz")
        return value

    @field_validator("details_confirmed_on")
    @classmethod
    def _confirmed_not_future(cls, value: date | None) -> date | None:
        if value is not None and value > nz_today():
            raise ValueError(f"{value:%d/%m/%Y} is in the future")
        return value


class Event(TimeSpentMixin, CaseRecord):
    record_type = "event"
    label = "Event"

    subject: Subject = Field(title="Subject")
    all_day: bool = Field(False, title="All-Day Event")
    start: UtcDateTime = Field(title="Start Date Time")
    end: UtcDateTime | None = Field(None, title="End Date Time")
    description: LongText = Field("", title="Description")

    @model_validator(mode="before")
    @classmethod
    def _all_day_dates(cls, data: Any) -> Any:
        # An all-day event may give plain dates; it starts at NZ midnight.
        if isinstance(data, dict) and data.get("all_day"):
            data = dict(data)
            for key in ("start", "end"):
                value = data.get(key)
                if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                    value = date.fromisoformat(value)
                if isinstance(value, date) and not isinstance(value, datetime):
                    data[key] = nz_midnight(value)
        return data

    @model_validator(mode="after")
    def _end_after_start(self):
        if self.end is not None and self.end < self.start:
            raise ValueError("End Date Time is before Start Date Time")
        return self

    @property
    def is_initial_meeting(self) -> bool:
        return self.subject in INITIAL_MEETING_SUBJECTS


class Task(TimeSpentMixin, CaseRecord):
    record_type = "task"
    label = "Task"

    subject: Subject = Field(title="Subject")
    due_date: date | None = Field(None, title="Due date")
    status: TaskStatus = Field(TaskStatus.NOT_STARTED, title="Status")
    priority: TaskPriority = Field(TaskPriority.NORMAL, title="Priority")
    description: LongText = Field("", title="Description")


class CaseComment(CaseRecord):
    record_type = "comment"
    label = "Case Comment"

    body: Annotated[str, BeforeValidator(_clean), AfterValidator(_required)] = Field(title="Comment")
    shared_with_school: bool = Field(False, title="Share with school")

    @field_validator("body")
    @classmethod
    def _fits_comment_body(cls, value: str) -> str:
        size = utf8_length(value)
        if size > COMMENT_BODY_MAX_BYTES:
            raise ValueError(
                f"is {size:,} bytes in UTF-8; AS-CMS accepts at most {COMMENT_BODY_MAX_BYTES:,} "
                "(macrons count as 2 bytes). Split it into two comments"
            )
        return value


class Barrier(CaseRecord):
    record_type = "barrier"
    label = "Barrier"

    category: BarrierCategory = Field(title="Category")
    description: LongText = Field("", title="Description")
    status: BarrierStatus = Field(BarrierStatus.ACTIVE, title="Status")
    identified_on: date | None = Field(None, title="Date identified")


class Plan(CaseRecord):
    record_type = "plan"
    label = "Student Plan"

    goals: LongText = Field("", title="Goals")
    status: PlanStatus = Field(PlanStatus.DRAFT, title="Status")
    review_date: date | None = Field(None, title="Review date")


class PlanStep(CaseRecord):
    record_type = "plan_step"
    label = "Plan step"

    plan_id: RecordId = Field(title="Plan id")
    action: RequiredText = Field(title="Action")
    responsible: Responsible = Field(title="Responsible")
    due_date: date | None = Field(None, title="Due date")
    done: bool = Field(False, title="Done")


class Service(TimeSpentMixin, CaseRecord):
    record_type = "service"
    label = "Service"

    kind: ServiceKind = Field(title="Kind")
    agency: RequiredText = Field(title="Agency or provider")
    reason: LongText = Field("", title="Reason")
    referred_on: date = Field(title="Date referred")
    status: ServiceStatus = Field(ServiceStatus.REFERRED, title="Status")
    outcome: LongText = Field("", title="Outcome")
    follow_up_on: date | None = Field(None, title="Follow-up date")
    barrier_id: RecordId | None = None

    @model_validator(mode="after")
    def _follow_up_after_referral(self):
        if self.follow_up_on is not None and self.follow_up_on < self.referred_on:
            raise ValueError("Follow-up date is before Date referred")
        return self


class Ubnf(CaseRecord):
    record_type = "ubnf"
    label = "UBNF support"

    provided: RequiredText = Field(title="What was provided")
    amount: Decimal = Field(title="Amount (NZD)", max_digits=9, decimal_places=2)
    provided_on: date = Field(title="Date")
    barrier_id: RecordId | None = None

    @field_validator("amount")
    @classmethod
    def _amount_positive(cls, value: Decimal) -> Decimal:
        if value < 0:
            raise ValueError("must not be negative")
        return value


class InfoRequest(TimeSpentMixin, CaseRecord):
    record_type = "info_request"
    label = "Info Request"

    agency: InfoRequestAgency = Field(title="Agency")
    requested_on: date = Field(title="Date requested")
    request: LongText = Field("", title="What was asked")
    outcome: LongText = Field("", title="Outcome")
    answered_on: date | None = Field(None, title="Date answered")

    @model_validator(mode="after")
    def _answered_after_request(self):
        if self.answered_on is not None and self.answered_on < self.requested_on:
            raise ValueError("Date answered is before Date requested")
        return self


class StatusChange(CaseRecord):
    record_type = "status_change"
    label = "Status change"

    from_status: CaseStatus | None = Field(None, title="From")
    to_status: CaseStatus = Field(title="To")
    reason: StatusReason | None = Field(None, title="Reason")
    changed_at: UtcDateTime = Field(default_factory=utc_now, title="Changed")


class CaseFile(CaseRecord):
    record_type = "file"
    label = "File"

    file_name: RequiredText = Field(title="File name")
    content_type: OptionalText = Field(None, title="Type")
    size_bytes: int = Field(0, title="Size")
    description: Annotated[LongText, AfterValidator(_max_chars(FILE_DESCRIPTION_MAX))] = Field("", title="Description")
    sha256: OptionalText = None

    @field_validator("size_bytes")
    @classmethod
    def _size_limit(cls, value: int) -> int:
        if not 0 <= value <= MAX_FILE_BYTES:
            raise ValueError(f"must be at most {MAX_FILE_BYTES // (1024 * 1024)} MB")
        return value


CASE_RECORD_TYPES: tuple[type[CaseRecord], ...] = (
    Contact,
    Event,
    Task,
    CaseComment,
    Barrier,
    Plan,
    PlanStep,
    Service,
    Ubnf,
    InfoRequest,
    StatusChange,
    CaseFile,
)
RECORD_TYPES: dict[str, type[Record]] = {
    model.record_type: model for model in (Case, *CASE_RECORD_TYPES)
}


# --- messages for people -----------------------------------------------------


def _field_label(model: type[BaseModel] | None, loc: tuple) -> str:
    """AS-CMS label for an error location, e.g. ('student', 'date_of_birth') -> 'Date of birth'."""
    label = None
    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None or not hasattr(current, "model_fields"):
            break
        info = current.model_fields.get(part)
        if info is None:
            break
        label = info.title or part.replace("_", " ").capitalize()
        annotation = info.annotation
        current = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    return label or ".".join(str(p) for p in loc)


def describe_errors(error: ValidationError, model: type[BaseModel] | None = None) -> list[str]:
    """Turn a pydantic error into sentences such as 'Minutes must be from 0 to 59 (got 75)...'."""
    messages = []
    for item in error.errors(include_url=False):
        text = item["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        loc = tuple(item["loc"])
        if not loc:
            messages.append(text)
            continue
        field = _field_label(model, loc)
        if item["type"] == "missing":
            text = "is required"
        elif item["type"] == "extra_forbidden":
            text = "is not a field of this record"
        elif item["type"] == "enum":
            expected = item.get("ctx", {}).get("expected", "")
            text = f"must be one of {expected} (got {item.get('input')!r})"
        messages.append(f"{field} {text}")
    return messages
