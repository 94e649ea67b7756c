"""The local database's schema, as forward migrations.

A migration, once released, is never edited: a laptop may hold a file at any
earlier version. Add a new step instead. Each step runs in one transaction
together with the bump of `PRAGMA user_version`.
"""

from __future__ import annotations

# Columns shared by every record that belongs to a case.
_CASE_RECORD = """
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases(id),
    server_id TEXT UNIQUE,
    server_version TEXT,
    recorded_at TEXT NOT NULL"""

_TIME_SPENT = """
    hours INTEGER NOT NULL DEFAULT 0,
    minutes INTEGER NOT NULL DEFAULT 0"""

V1 = f"""
CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    server_id TEXT UNIQUE,
    server_version TEXT,
    case_number TEXT NOT NULL UNIQUE,
    case_type TEXT NOT NULL,
    status TEXT NOT NULL,
    status_reason TEXT,
    referral_date TEXT NOT NULL,
    migrated INTEGER NOT NULL DEFAULT 0,
    case_owner TEXT,
    catchment TEXT,
    student_name TEXT NOT NULL,
    student_known_as TEXT,
    student_nsn TEXT,
    student_date_of_birth TEXT,
    student_gender TEXT,
    student_year_level INTEGER,
    student_ethnicity TEXT,
    student_iwi TEXT,
    school_name TEXT,
    school_number TEXT,
    school_primary_contact TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX cases_referral ON cases(referral_date);

CREATE TABLE contacts ({_CASE_RECORD},
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    address TEXT,
    preferred_contact_method TEXT,
    details_current INTEGER NOT NULL DEFAULT 0,
    details_confirmed_on TEXT
);
CREATE INDEX contacts_case ON contacts(case_id, details_current);

CREATE TABLE events ({_CASE_RECORD},{_TIME_SPENT},
    subject TEXT NOT NULL,
    all_day INTEGER NOT NULL DEFAULT 0,
    start TEXT NOT NULL,
    "end" TEXT,
    description TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_case ON events(case_id, start);
-- Reporting and the case list look only for the earliest initial meetings.
CREATE INDEX events_subject ON events(subject, case_id, start);

CREATE TABLE tasks ({_CASE_RECORD},{_TIME_SPENT},
    subject TEXT NOT NULL,
    due_date TEXT,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tasks_case ON tasks(case_id);

CREATE TABLE comments ({_CASE_RECORD},
    body TEXT NOT NULL,
    shared_with_school INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX comments_case ON comments(case_id);

CREATE TABLE barriers ({_CASE_RECORD},
    category TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    identified_on TEXT
);
CREATE INDEX barriers_case ON barriers(case_id);

CREATE TABLE plans ({_CASE_RECORD},
    goals TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    review_date TEXT
);
CREATE INDEX plans_case ON plans(case_id);

CREATE TABLE plan_steps ({_CASE_RECORD},
    plan_id TEXT NOT NULL REFERENCES plans(id),
    action TEXT NOT NULL,
    responsible TEXT NOT NULL,
    due_date TEXT,
    done INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX plan_steps_plan ON plan_steps(plan_id);
CREATE INDEX plan_steps_case ON plan_steps(case_id);

CREATE TABLE services ({_CASE_RECORD},{_TIME_SPENT},
    kind TEXT NOT NULL,
    agency TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    referred_on TEXT NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT NOT NULL DEFAULT '',
    follow_up_on TEXT,
    barrier_id TEXT REFERENCES barriers(id)
);
CREATE INDEX services_case ON services(case_id);

CREATE TABLE ubnf ({_CASE_RECORD},
    provided TEXT NOT NULL,
    amount TEXT NOT NULL,
    provided_on TEXT NOT NULL,
    barrier_id TEXT REFERENCES barriers(id)
);
CREATE INDEX ubnf_case ON ubnf(case_id);

CREATE TABLE info_requests ({_CASE_RECORD},{_TIME_SPENT},
    agency TEXT NOT NULL,
    requested_on TEXT NOT NULL,
    request TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT '',
    answered_on TEXT
);
CREATE INDEX info_requests_case ON info_requests(case_id);

CREATE TABLE status_changes ({_CASE_RECORD},
    from_status TEXT,
    to_status TEXT NOT NULL,
    reason TEXT,
    changed_at TEXT NOT NULL
);
CREATE INDEX status_changes_case ON status_changes(case_id);

CREATE TABLE files ({_CASE_RECORD},
    file_name TEXT NOT NULL,
    content_type TEXT,
    size_bytes INTEGER NOT NULL DEFAULT 0,
    description TEXT NOT NULL DEFAULT '',
    sha256 TEXT
);
CREATE INDEX files_case ON files(case_id);

-- The outbox that sync drains, oldest first. A row is written in the same
-- transaction as the change it describes.
CREATE TABLE changes (
    change_id INTEGER PRIMARY KEY AUTOINCREMENT,
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    case_id TEXT,
    operation TEXT NOT NULL CHECK (operation IN ('create', 'update', 'delete')),
    changed_fields TEXT NOT NULL,
    base_version TEXT,
    server_id TEXT,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'set_aside', 'done')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX changes_record ON changes(record_id);
CREATE INDEX changes_open ON changes(status, case_id) WHERE status != 'done';
"""

# Schema 2: who made each change (audit history), and form drafts, so that text
# typed but not yet saved survives a crash or a closed terminal.
V2 = """
ALTER TABLE changes ADD COLUMN actor TEXT;
CREATE TABLE drafts (
    draft_key TEXT PRIMARY KEY,
    form TEXT NOT NULL,
    case_id TEXT,
    record_id TEXT,
    content TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""

# Schema 3: the case list as one narrow row per case, so that 10,000 cases load
# in one scan. The store recomputes a case's row from the source tables inside
# every transaction that touches the case, and rebuilds the table when its row
# count disagrees with `cases` (as right after this migration).
V3 = """
CREATE TABLE case_list (
    case_id TEXT PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
    case_number TEXT NOT NULL,
    student TEXT NOT NULL,       -- known-as name where set, as the list shows it
    student_name TEXT NOT NULL,  -- the legal name, so a search finds either
    case_type TEXT NOT NULL,
    status TEXT NOT NULL,
    school TEXT NOT NULL,
    case_owner TEXT,
    referral_date TEXT NOT NULL,
    migrated INTEGER NOT NULL,
    first_school_meeting TEXT,  -- NZ date of the earliest exact 'Initial School Meeting'
    first_whanau_meeting TEXT,  -- the same for 'Initial Student / Whānau Meeting'
    has_current_contact INTEGER NOT NULL,
    unsynced INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX changes_case ON changes(case_id, status);
"""

# Schema 4: the daily-close check looks up the day's events and tasks by date.
V4 = """
CREATE INDEX events_start ON events(start);
CREATE INDEX tasks_due ON tasks(due_date);
CREATE INDEX tasks_recorded ON tasks(recorded_at);
"""

# Schema 5: sync state. Records already keep their server Id and version
# (SystemModstamp) in server_id / server_version.
# - sync_cursors: the newest SystemModstamp pulled, per sObject (delta pulls);
# - conflicts: a field changed here and centrally, or a record edited here and
#   deleted centrally, held for the user; a resolution that keeps the local value
#   stays the merge base ("unsettled") until that value has been pushed;
# - sync_sent: creates sent whose outcome is not known (CaseComment and files
#   have no upsert key), reconciled with the server before any resend;
# - sync_state: small facts such as the last sync time.
V5 = """
CREATE TABLE sync_cursors (
    sobject TEXT PRIMARY KEY,
    modstamp TEXT NOT NULL
);
CREATE TABLE conflicts (
    conflict_id INTEGER PRIMARY KEY AUTOINCREMENT,
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    case_id TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('field', 'deleted')),
    field TEXT,
    local_value TEXT,
    server_value TEXT,
    server_version TEXT,
    detected_at TEXT NOT NULL,
    resolution TEXT CHECK (resolution IN ('mine', 'theirs', 'edited')),
    resolved_at TEXT,
    settled INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX conflicts_record ON conflicts(record_id, resolved_at);
CREATE TABLE sync_sent (
    record_id TEXT PRIMARY KEY,
    record_type TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
CREATE TABLE sync_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE INDEX changes_server ON changes(server_id) WHERE status != 'done';
"""

# Schema 6: the case list also keeps each case's initial-meeting due dates (5, 10
# and 15 business days after referral; deadlines.DEADLINE_DAYS), so the list opens
# sorted by next deadline in plain SQL, without the holiday calendar. The dates
# follow the shipped holiday table, whose fingerprint is kept in local_facts: the
# store rebuilds the list when the table changes (and, as after this migration,
# when the list's row count disagrees with `cases`).
V6 = """
DROP TABLE case_list;
CREATE TABLE case_list (
    case_id TEXT PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
    case_number TEXT NOT NULL,
    student TEXT NOT NULL,
    student_name TEXT NOT NULL,
    case_type TEXT NOT NULL,
    status TEXT NOT NULL,
    school TEXT NOT NULL,
    case_owner TEXT,
    referral_date TEXT NOT NULL,
    migrated INTEGER NOT NULL,
    first_school_meeting TEXT,
    first_whanau_meeting TEXT,
    has_current_contact INTEGER NOT NULL,
    unsynced INTEGER NOT NULL,
    due_5 TEXT NOT NULL,   -- NZ date 5 business days after referral
    due_10 TEXT NOT NULL,
    due_15 TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE local_facts (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# Schema 7: central records the pull could not take in (a value of the wrong kind, a
# parent outside the briefcase...). Kept until one is taken in, so the Sync screen
# lists them, `ascms-tui sync` exits 1 while any is left, and each pull asks for
# them again by Id (the pull's cursor has moved past them).
V7 = """
CREATE TABLE sync_skipped (
    sobject TEXT NOT NULL,
    server_id TEXT NOT NULL,
    record_type TEXT NOT NULL,
    reason TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    PRIMARY KEY (sobject, server_id)
);
"""

# Schema 8: the whānau measures apply only where current contact details are held for the
# student, a caregiver or a whānau member; a current school contact no longer counts
# (Store's WHANAU_CONTACT_ROLES). Existing case list rows are recomputed.
V8 = """
UPDATE case_list SET has_current_contact = EXISTS (
    SELECT 1 FROM contacts k WHERE k.case_id = case_list.case_id AND k.details_current = 1
    AND k.role IN ('Student', 'Parent / Caregiver', 'Whānau member'));
"""

MIGRATIONS: list[str] = [V1, V2, V3, V4, V5, V6, V7, V8]
LATEST_VERSION = len(MIGRATIONS)
