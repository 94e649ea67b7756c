"""AS-CMS picklists and field limits, in AS-CMS's exact wording.

Plain enums and constants with no pydantic, so that the case list (and anything
else on the start-up path) can use them without loading the record models.
`ascms_tui.domain` re-exports all of them.
"""

from __future__ import annotations

from enum import StrEnum

# --- picklists ---------------------------------------------------------------


class CaseType(StrEnum):
    CHRONIC_ABSENCE = "Chronic Absence"
    NON_ENROLLED = "Non Enrolled"


class CaseStatus(StrEnum):
    PROVIDER_QUEUE = "Provider Queue"
    OPEN = "Open"
    PAUSED = "Paused"
    TRANSITION = "Transition"
    CLOSED = "Closed"


class StatusReason(StrEnum):
    """Why a case was paused or closed."""

    ENROLLED = "Enrolled"
    HOME_EDUCATION = "Exemption granted for home education"
    NOT_LOCATED = "Not located"
    TRANSFERRED = "Transferred to another provider"
    AGED_OUT = "Aged out"
    LEFT_NZ = "Left New Zealand"
    AWAITING_INFORMATION = "Awaiting information"
    OTHER = "Other"


# The stages a case moves between, as AS-CMS allows them.
STATUS_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.PROVIDER_QUEUE: frozenset({CaseStatus.OPEN, CaseStatus.CLOSED}),
    CaseStatus.OPEN: frozenset({CaseStatus.PAUSED, CaseStatus.TRANSITION, CaseStatus.CLOSED}),
    CaseStatus.PAUSED: frozenset({CaseStatus.OPEN, CaseStatus.TRANSITION, CaseStatus.CLOSED}),
    CaseStatus.TRANSITION: frozenset({CaseStatus.OPEN, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.OPEN}),  # reopened, e.g. the student left the new school
}
# Pausing and closing need a reason; reporting and handover rely on it.
STATUSES_NEEDING_REASON = frozenset({CaseStatus.PAUSED, CaseStatus.CLOSED})

INITIAL_SCHOOL_MEETING = "Initial School Meeting"
INITIAL_WHANAU_MEETING = "Initial Student / Whānau Meeting"
INITIAL_MEETING_SUBJECTS = (INITIAL_SCHOOL_MEETING, INITIAL_WHANAU_MEETING)
# The Subject combobox: the two reporting subjects first, then the common ones.
COMMON_EVENT_SUBJECTS = (
    INITIAL_SCHOOL_MEETING,
    INITIAL_WHANAU_MEETING,
    "Home Visit",
    "School Meeting",
    "Phone Call",
    "Multi-Agency Meeting",
    "Whānau Hui",
    "Student Check-in",
    "Attendance Review Meeting",
    "Other",
)


class TaskStatus(StrEnum):
    NOT_STARTED = "Not Started"
    IN_PROGRESS = "In Progress"
    COMPLETED = "Completed"
    WAITING = "Waiting on someone else"
    DEFERRED = "Deferred"


class TaskPriority(StrEnum):
    HIGH = "High"
    NORMAL = "Normal"
    LOW = "Low"


class ContactRole(StrEnum):
    PARENT_CAREGIVER = "Parent / Caregiver"
    WHANAU = "Whānau member"
    STUDENT = "Student"
    SCHOOL_PRIMARY = "School primary contact"
    SCHOOL_STAFF = "School staff"
    PROFESSIONAL = "Other professional"


class ContactMethod(StrEnum):
    PHONE = "Phone"
    TEXT = "Text message"
    EMAIL = "Email"
    IN_PERSON = "In person"


class BarrierCategory(StrEnum):
    HEALTH = "Health"
    ANXIETY_WELLBEING = "Anxiety / wellbeing"
    TRANSPORT = "Transport"
    FINANCIAL_HARDSHIP = "Financial hardship"
    HOUSING = "Housing"
    LEARNING_NEEDS = "Learning needs"
    FAMILY_CIRCUMSTANCES = "Family circumstances"
    SCHOOL_RELATIONSHIPS = "School relationships"
    OTHER = "Other"


class BarrierStatus(StrEnum):
    ACTIVE = "Active"
    RESOLVED = "Resolved"


class PlanStatus(StrEnum):
    DRAFT = "Draft"
    IN_PROGRESS = "In Progress"
    COMPLETED = "Completed"


class Responsible(StrEnum):
    STUDENT = "Student"
    WHANAU = "Whānau"
    SCHOOL = "School"
    PROVIDER = "Provider"
    OTHER_AGENCY = "Other agency"


class ServiceKind(StrEnum):
    GOVERNMENT_AGENCY = "Government agency"
    NGO = "NGO"
    COMMUNITY_PROVIDER = "Community provider"
    MULTI_AGENCY_FORUM = "Multi-agency forum"
    OT_SECTION_19 = "Oranga Tamariki section 19 referral"


class ServiceStatus(StrEnum):
    REFERRED = "Referred"
    ACCEPTED = "Accepted"
    IN_PROGRESS = "In progress"
    DECLINED = "Declined"
    COMPLETED = "Completed"
    WITHDRAWN = "Withdrawn"


class InfoRequestAgency(StrEnum):
    MSD = "MSD"
    IMMIGRATION = "Immigration New Zealand"


# --- limits of the central system (Salesforce field lengths) -----------------

SUBJECT_MAX = 255
SHORT_TEXT_MAX = 255
LONG_TEXT_MAX = 32_000
COMMENT_BODY_MAX_BYTES = 4_000
CONTACT_NAME_MAX = 80  # Contact.LastName, where the whole name goes
FILE_DESCRIPTION_MAX = 1_000  # ContentVersion.Description
PHONE_MAX = 40
EMAIL_MAX = 80
MAX_HOURS = 24
MAX_FILE_BYTES = 25 * 1024 * 1024
