"""Documents attached to a case: copied into the app's data folder and queued for upload.

The copy is what syncs and what the case keeps, so the original may be moved
or deleted; it is private to the user (0600 in a 0700 folder). When the
database is encrypted the copy is too (`file_crypto`): read it back with
`read_attachment`, never from the path.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from .domain import MAX_FILE_BYTES, CaseFile
from .file_crypto import FileKeyError, encrypt_bytes, read_copy, store_file_key
from .paths import data_dir
from .permissions import write_private_file
from .store import Store, StoreError

PLAN_LIKE = re.compile(r"\b(plan|mahere)\b", re.IGNORECASE)
PLAN_DOCUMENT_NOTE = (
    "This looks like a plan document. Attaching it does not count as a Student Plan for reporting: "
    "also add the plan with Add Plan, with at least one step, and set it In Progress."
)


def files_dir(base: Path | None = None) -> Path:
    folder = (base or data_dir()) / "files"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def looks_like_plan(file_name: str) -> bool:
    return bool(PLAN_LIKE.search(Path(file_name).stem.replace("_", " ").replace("-", " ")))


def stored_path(record: CaseFile, base: Path | None = None) -> Path:
    """Where the copy of an attached file lives (named by the record's id, so names never clash)."""
    return files_dir(base) / f"{record.id}{Path(record.file_name).suffix.lower()}"


def attach_file(store: Store, case_id: str, source: str | os.PathLike, description: str = "",
                base: Path | None = None) -> CaseFile:
    """Copy `source` in and record it; the record and its journal row are written only once the copy is whole."""
    source = Path(source).expanduser()
    if not source.is_file():
        raise StoreError(f"There is no file at {source}")
    size = source.stat().st_size
    if size > MAX_FILE_BYTES:
        raise StoreError(f"{source.name} is {size / 1024 / 1024:.1f} MB; files can be at most "
                         f"{MAX_FILE_BYTES // (1024 * 1024)} MB")
    record = CaseFile(
        case_id=case_id,
        file_name=source.name,
        content_type=mimetypes.guess_type(source.name)[0] or "application/octet-stream",
        size_bytes=size,
        description=description,
        sha256=_sha256(source),
    )
    target = stored_path(record, base)
    key = store_file_key(store, create=True)
    if key is not None:
        write_private_file(target, encrypt_bytes(key, record.id, source.read_bytes()))
    else:
        partial = target.with_name(target.name + ".part")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out, open(source, "rb") as original:
            shutil.copyfileobj(original, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    try:
        return store.create(record)
    except BaseException:
        target.unlink(missing_ok=True)  # no record, no orphan copy
        raise


def has_copy(record: CaseFile, base: Path | None = None) -> bool:
    return stored_path(record, base).exists()


def save_pulled_copy(store: Store, record: CaseFile, data: bytes, base: Path | None = None) -> None:
    """Keep the content of a file pulled from AS-CMS, as an attached file's copy is kept (encrypted when
    the store is)."""
    target = stored_path(record, base)
    key = store_file_key(store, create=True)
    write_private_file(target, encrypt_bytes(key, record.id, data) if key is not None else data)


def read_attachment(store: Store, record: CaseFile, base: Path | None = None) -> bytes:
    """The attached file's content, decrypted when the store is encrypted; checked against its checksum."""
    path = stored_path(record, base)
    if not path.exists():
        raise StoreError(f"The copy of {record.file_name} is missing from {path.parent}")
    try:
        data = read_copy(path, record.id, store_file_key(store))
    except FileKeyError as error:
        raise StoreError(str(error)) from None
    if record.sha256 and hashlib.sha256(data).hexdigest() != record.sha256:
        raise StoreError(f"The copy of {record.file_name} has changed since it was attached (checksum differs)")
    return data


def open_with_system_viewer(path: Path) -> None:
    """Hand the file to the desktop's viewer without waiting for it."""
    if sys.platform == "win32":
        os.startfile(path)  # type: ignore[attr-defined]
        return
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    if shutil.which(opener) is None:
        raise StoreError(f"No viewer is set up here ({opener} is missing); the file is at {path}")
    subprocess.Popen([opener, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()
