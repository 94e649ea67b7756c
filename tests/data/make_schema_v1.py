"""Makes schema_v1.sqlite3: a database as the first release wrote it.

Kept so the migration test opens a genuinely old file. Run it only to
recreate the fixture; never after migration 1 has changed (it must not).
"""

import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from ascms_tui.store import migrate  # noqa: E402

target = Path(__file__).with_name("schema_v1.sqlite3")
target.unlink(missing_ok=True)
conn = sqlite3.connect(target, isolation_level=None)
migrate(conn, target=1)
conn.executescript("""
BEGIN;
INSERT INTO cases (id, case_number, case_type, status, referral_date, migrated, student_name,
                   student_known_as, school_name, created_at)
VALUES ('0b7d2a52-4a57-4a8e-9a55-5e2f0c1d9b01', '00400001', 'Chronic Absence', 'Open', '2026-05-04', 0,
        'Tamati Invented-Example', 'Tama', 'Kōwhai Valley School', '2026-05-04T21:00:00Z');
INSERT INTO events (id, case_id, recorded_at, hours, minutes, subject, all_day, start, "end", description)
VALUES ('6c1f8e3a-1d2b-4c5d-8e9f-0a1b2c3d4e5f', '0b7d2a52-4a57-4a8e-9a55-5e2f0c1d9b01', '2026-05-06T04:00:00Z',
        1, 30, 'Initial School Meeting', 0, '2026-05-06T02:00:00Z', '2026-05-06T03:00:00Z',
        'Met with the attendance lead; agreed next steps.');
INSERT INTO changes (record_type, record_id, case_id, operation, changed_fields, created_at)
VALUES ('event', '6c1f8e3a-1d2b-4c5d-8e9f-0a1b2c3d4e5f', '0b7d2a52-4a57-4a8e-9a55-5e2f0c1d9b01', 'create',
        '{"subject": {"old": null, "new": "Initial School Meeting"}}', '2026-05-06T04:00:00Z');
COMMIT;
""")
conn.execute("PRAGMA journal_mode = DELETE")
conn.close()
print(f"wrote {target}")
