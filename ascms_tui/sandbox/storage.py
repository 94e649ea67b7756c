"""The sandbox's SQLite file: records as JSON, Salesforce Ids and timestamps, sign-in state.

Which objects and fields exist is the org contract's say (ascms_tui/org_contract.py):
names are case-insensitive as in Salesforce and come back in the contract's
spelling; a name the contract lacks does not exist. Each record is one JSON
object. All writes happen on the server's one event loop thread, one request at
a time, so a request's transaction never interleaves with another's.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..org_contract import OrgContract

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (lower TEXT PRIMARY KEY, name TEXT NOT NULL, prefix TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    sobject TEXT NOT NULL,
    fields TEXT NOT NULL,
    modstamp INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS records_by_object ON records (sobject, deleted, modstamp);
CREATE TABLE IF NOT EXISTS refs (child TEXT NOT NULL, field TEXT NOT NULL, parent TEXT NOT NULL,
                                 PRIMARY KEY (child, field)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS refs_by_parent ON refs (parent);
CREATE TABLE IF NOT EXISTS api_usage (day TEXT PRIMARY KEY, requests INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (id TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id TEXT NOT NULL,
    issued INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS device_codes (
    device_code TEXT PRIMARY KEY,
    user_code TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    issued INTEGER NOT NULL,
    approved_by TEXT,
    denied INTEGER NOT NULL DEFAULT 0,
    used INTEGER NOT NULL DEFAULT 0
);
"""

# Key prefixes of the standard objects the client uses (and a few it may meet).
STANDARD_PREFIXES = {
    "Case": "500", "Event": "00U", "Task": "00T", "CaseComment": "00a", "Contact": "003",
    "ContentVersion": "068", "ContentDocument": "069", "ContentDocumentLink": "06A",
    "User": "005", "Account": "001", "Note": "002", "Attachment": "00P", "Group": "00G",
}
_CUSTOM_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECK = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_ID_SHAPE = re.compile(r"[A-Za-z0-9]{15}(?:[A-Z0-5]{3})?\Z")


def id_suffix(id15: str) -> str:
    """Salesforce's case-safe suffix: one character per 5-character chunk, bit i set when char i is A-Z."""
    out = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, ch in enumerate(id15[start:start + 5]) if "A" <= ch <= "Z")
        out += _CHECK[bits]
    return out


@lru_cache(maxsize=65536)
def normal_id(value: str) -> str | None:
    """The 18-character form of a 15- or 18-character Id, or None when `value` is not Id-shaped."""
    if not isinstance(value, str) or not _ID_SHAPE.match(value):
        return None
    if len(value) == 15:
        return value + id_suffix(value)
    return value if id_suffix(value[:15]) == value[15:] else None


def format_instant(ms: int) -> str:
    """Salesforce's datetime format, always UTC: 2026-06-30T01:02:03.000+0000."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}+0000"


class Storage:
    def __init__(self, path: str | Path, contract: OrgContract):
        self.path = Path(path)
        self.contract = contract
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a commit survives the sandbox being killed, which is what
        # "commit then lose the response" needs.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA cache_size=-65536")  # 64 MB: a 60,000-record briefcase stays in memory
        self.db.executescript(SCHEMA)
        self._depth = 0
        self._ext_indexes: set[str] = set()
        self._load_registries()
        self._id_counter = self._id_saved = int(self.meta("id_counter", "0"))

    def close(self) -> None:
        self.db.close()

    # --- transactions ----------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A transaction, or a savepoint inside one; an exception rolls back to its start."""
        depth = self._depth
        self.db.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT s{depth}")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth = depth
            if depth == 0:
                self.db.execute("ROLLBACK")
            else:
                self.db.execute(f"ROLLBACK TO s{depth}")
                self.db.execute(f"RELEASE s{depth}")
            # Names and indexes made by the rolled-back work are gone again.
            self._load_registries()
            self._ext_indexes.clear()
            raise
        self._depth = depth
        if depth == 0:
            if self._id_counter != self._id_saved:
                self.set_meta("id_counter", str(self._id_counter))
            self.db.execute("COMMIT")
            self._id_saved = self._id_counter
        else:
            self.db.execute(f"RELEASE s{depth}")

    # --- names, prefixes, Ids, time --------------------------------------------------

    def _load_registries(self) -> None:
        self._objects = {low: name for low, name in self.db.execute("SELECT lower, name FROM objects")}
        self._prefix = {name: prefix for name, prefix in self.db.execute("SELECT name, prefix FROM objects")}
        self._by_prefix = {prefix: name for name, prefix in self._prefix.items()}

    def object_name(self, name: str, *, prefix: str | None = None) -> str | None:
        """The contract's name for sObject `name` (None if the org has no such object).

        The object is given its key prefix on first use, kept in the file so Ids stay valid.
        """
        described = self.contract.object(name)
        if described is None:
            return None
        canonical = described.name
        if canonical in self._prefix:
            return canonical
        if prefix is None:
            prefix = described.key_prefix
            if prefix in self._by_prefix:  # a data folder from before the contract used it for another object
                prefix = self._free_custom_prefix()
        self.db.execute("INSERT INTO objects (lower, name, prefix) VALUES (?, ?, ?)",
                        (canonical.lower(), canonical, prefix))
        self._objects[canonical.lower()] = canonical
        self._prefix[canonical] = prefix
        self._by_prefix[prefix] = canonical
        return canonical

    def _free_custom_prefix(self) -> str:
        for letter in _CUSTOM_LETTERS:
            if "a0" + letter not in self._by_prefix:
                return "a0" + letter
        raise RuntimeError("the sandbox has run out of custom-object key prefixes")

    def objects(self) -> dict[str, str]:
        """Canonical object name to key prefix."""
        return dict(self._prefix)

    def object_of_id(self, record_id: str) -> str | None:
        return self._by_prefix.get(record_id[:3])

    def field_name(self, sobject: str, name: str) -> str | None:
        """The contract's spelling of field `name` of `sobject`, or None when the object has no such field."""
        described = self.contract.object(sobject)
        field = described.field(name) if described else None
        return field.name if field else None

    def new_id(self, sobject: str) -> str:
        # Counted in memory and saved with the commit that uses it (new_id runs inside a transaction).
        self._id_counter = counter = self._id_counter + 1
        digits = ""
        for _ in range(10):
            counter, r = divmod(counter, 62)
            digits = _BASE62[r] + digits
        id15 = self._prefix[sobject] + "Sb" + digits
        return id15 + id_suffix(id15)

    def next_modstamp(self, late_by: float = 0) -> int:
        """The stamp of a write, in milliseconds: whole seconds, as Salesforce's SystemModstamp.

        Writes in the same second share a stamp. `late_by` stamps the write that many
        seconds in the past, as a long transaction that commits late is stamped with
        its start: a pull that trusts `SystemModstamp > last seen` misses it.
        """
        return int(time.time() - late_by) * 1000

    def count_request(self, day: str) -> int:
        """Count one API request against `day`'s budget; the number used that day so far."""
        self.db.execute("INSERT INTO api_usage (day, requests) VALUES (?, 1) "
                        "ON CONFLICT (day) DO UPDATE SET requests = requests + 1", (day,))
        return self.requests_on(day)

    def requests_on(self, day: str) -> int:
        row = self.db.execute("SELECT requests FROM api_usage WHERE day = ?", (day,)).fetchone()
        return row[0] if row else 0

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # --- records -----------------------------------------------------------------------

    def get(self, record_id: str) -> tuple[str, dict[str, Any], bool] | None:
        """(sobject, fields, deleted) of a record, or None when no such Id was ever issued."""
        row = self.db.execute("SELECT sobject, fields, deleted FROM records WHERE id = ?", (record_id,)).fetchone()
        return (row[0], json.loads(row[1]), bool(row[2])) if row else None

    def exists(self, record_id: str) -> bool:
        return self.deleted(record_id) is False

    def deleted(self, record_id: str) -> bool | None:
        """Whether a record is deleted; None when no such Id was ever issued."""
        row = self.db.execute("SELECT deleted FROM records WHERE id = ?", (record_id,)).fetchone()
        return None if row is None else bool(row[0])

    def find_by_field(self, sobject: str, field: str, value: Any) -> list[str]:
        """Live records of `sobject` whose `field` equals `value`, ignoring case (an external Id lookup)."""
        expression = self._ext_expression(field)
        if field not in self._ext_indexes:
            # One index per field used as an external Id, made on first use.
            index = "ext_" + field.lower()
            self.db.execute(
                f'CREATE INDEX IF NOT EXISTS "{index}" ON records (sobject, {expression}) WHERE deleted = 0'
            )
            self._ext_indexes.add(field)
        rows = self.db.execute(
            f"SELECT id FROM records WHERE sobject = ? AND {expression} = ? AND deleted = 0 ORDER BY rowid",
            (sobject, str(value).lower()),
        )
        return [r[0] for r in rows]

    @staticmethod
    def _ext_expression(field: str) -> str:
        assert NAME.match(field)
        return f"lower(json_extract(fields, '$.\"{field}\"'))"

    def insert(self, record_id: str, sobject: str, fields: dict[str, Any], modstamp: int) -> None:
        self.db.execute(
            "INSERT INTO records (id, sobject, fields, modstamp) VALUES (?, ?, ?, ?)",
            (record_id, sobject, json.dumps(fields, ensure_ascii=False), modstamp),
        )

    def replace(self, record_id: str, fields: dict[str, Any], modstamp: int) -> None:
        self.db.execute(
            "UPDATE records SET fields = ?, modstamp = ? WHERE id = ?",
            (json.dumps(fields, ensure_ascii=False), modstamp, record_id),
        )

    def mark_deleted(self, record_id: str, fields: dict[str, Any], modstamp: int) -> None:
        self.db.execute(
            "UPDATE records SET fields = ?, modstamp = ?, deleted = 1 WHERE id = ?",
            (json.dumps(fields, ensure_ascii=False), modstamp, record_id),
        )
        self.db.execute("DELETE FROM refs WHERE child = ?", (record_id,))

    def set_refs(self, child: str, refs: dict[str, str], *, new: bool = False) -> None:
        if not new:
            self.db.execute("DELETE FROM refs WHERE child = ?", (child,))
        for field, parent in refs.items():  # one or two per record: plain execute beats executemany
            self.db.execute("INSERT INTO refs (child, field, parent) VALUES (?, ?, ?)", (child, field, parent))

    def children(self, parent: str) -> list[tuple[str, str]]:
        """(child Id, field) of the live records that refer to `parent`."""
        return list(self.db.execute("SELECT child, field FROM refs WHERE parent = ?", (parent,)))

    def scan(self, sobject: str, *, modstamp_after: int | None = None, inclusive: bool = False,
             ids: list[str] | None = None, with_deleted: bool = False) -> Iterator[dict[str, Any]]:
        """Records of one object (live ones, or deleted ones too), in the order they were first written."""
        sql = "SELECT fields FROM records WHERE sobject = ?" + ("" if with_deleted else " AND deleted = 0")
        params: list[Any] = [sobject]
        if modstamp_after is not None:
            sql += " AND modstamp >= ?" if inclusive else " AND modstamp > ?"
            params.append(modstamp_after)
        if ids is not None:
            if not ids:
                return
            sql += f" AND id IN ({','.join('?' * len(ids))})"
            params.extend(ids)
        for (text,) in self.db.execute(sql + " ORDER BY rowid", params):
            yield json.loads(text)

    def stamped_between(self, sobject: str, start_ms: int, end_ms: int, *, deleted: bool) -> list[dict[str, Any]]:
        """Records of `sobject` deleted (or changed and live) with a stamp in [start, end]: the
        `sobjects/{X}/deleted/` and `updated/` resources."""
        rows = self.db.execute(
            "SELECT fields FROM records WHERE sobject = ? AND deleted = ? AND modstamp >= ? AND modstamp <= ? "
            "ORDER BY modstamp, rowid", (sobject, int(deleted), start_ms, end_ms))
        return [json.loads(text) for (text,) in rows]

    def counts(self) -> dict[str, dict[str, int]]:
        live: dict[str, int] = {}
        deleted: dict[str, int] = {}
        for sobject, flag, n in self.db.execute(
            "SELECT sobject, deleted, COUNT(*) FROM records GROUP BY sobject, deleted ORDER BY sobject"
        ):
            (deleted if flag else live)[sobject] = n
        return {"live": live, "deleted": deleted}

    def put_blob(self, record_id: str, data: bytes) -> None:
        self.db.execute("INSERT OR REPLACE INTO blobs (id, data) VALUES (?, ?)", (record_id, data))

    def blob(self, record_id: str) -> bytes | None:
        row = self.db.execute("SELECT data FROM blobs WHERE id = ?", (record_id,)).fetchone()
        return bytes(row[0]) if row else None

    # --- sign-in state -----------------------------------------------------------------

    def add_token(self, token: str, kind: str, user_id: str) -> None:
        with self.transaction():
            self.db.execute("INSERT INTO tokens (token, kind, user_id, issued) VALUES (?, ?, ?, ?)",
                            (token, kind, user_id, int(time.time())))

    def token_user(self, token: str, kind: str) -> str | None:
        row = self.db.execute(
            "SELECT user_id FROM tokens WHERE token = ? AND kind = ? AND revoked = 0", (token, kind)
        ).fetchone()
        return row[0] if row else None

    def revoke_tokens(self, kind: str, token: str | None = None) -> int:
        with self.transaction():
            if token is None:
                cursor = self.db.execute("UPDATE tokens SET revoked = 1 WHERE kind = ? AND revoked = 0", (kind,))
            else:
                cursor = self.db.execute("UPDATE tokens SET revoked = 1 WHERE kind = ? AND token = ?", (kind, token))
            return cursor.rowcount

    def add_device_code(self, device_code: str, user_code: str, client_id: str, approved_by: str | None) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO device_codes (device_code, user_code, client_id, issued, approved_by) VALUES (?, ?, ?, ?, ?)",
                (device_code, user_code, client_id, int(time.time()), approved_by),
            )

    def device_code(self, device_code: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT user_code, client_id, issued, approved_by, denied, used FROM device_codes WHERE device_code = ?",
            (device_code,),
        ).fetchone()
        if row is None:
            return None
        keys = ("user_code", "client_id", "issued", "approved_by", "denied", "used")
        return dict(zip(keys, row, strict=True))

    def decide_user_code(self, user_code: str, approved_by: str | None) -> bool:
        """Approve (as `approved_by`) or deny a waiting sign-in; False when the code is unknown or used."""
        with self.transaction():
            if approved_by is None:
                cursor = self.db.execute(
                    "UPDATE device_codes SET denied = 1 WHERE user_code = ? AND used = 0", (user_code,))
            else:
                cursor = self.db.execute(
                    "UPDATE device_codes SET approved_by = ?, denied = 0 WHERE user_code = ? AND used = 0",
                    (approved_by, user_code))
            return cursor.rowcount == 1

    def use_device_code(self, device_code: str) -> None:
        with self.transaction():
            self.db.execute("UPDATE device_codes SET used = 1 WHERE device_code = ?", (device_code,))
