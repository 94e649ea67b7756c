"""Attaching documents to a case."""

from __future__ import annotations

import hashlib

import pytest

from ascms_tui.domain import MAX_FILE_BYTES, CaseFile
from ascms_tui.files import attach_file, looks_like_plan, stored_path
from ascms_tui.store import StoreError

from .conftest import make_case


def test_attach_copies_privately_and_queues_upload(store, tmp_path):
    case = store.create(make_case())
    source = tmp_path / "Attendance plan - Ro.pdf"
    source.write_bytes(b"%PDF-1.4 invented plan")
    record = attach_file(store, case.id, source, "Signed by whānau", base=tmp_path / "data")

    copy = stored_path(record, tmp_path / "data")
    assert copy.read_bytes() == source.read_bytes()
    assert oct(copy.stat().st_mode & 0o777) == "0o600"
    assert (record.file_name, record.content_type, record.size_bytes) == ("Attendance plan - Ro.pdf", "application/pdf", 22)
    assert record.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert store.get(CaseFile, record.id) == record
    assert store.changes()[-1].record_type == "file" and store.changes()[-1].operation == "create"
    source.unlink()  # the case keeps its own copy
    assert copy.exists()


def test_too_large_or_missing_files_are_refused_and_nothing_is_left(store, tmp_path):
    case = store.create(make_case())
    big = tmp_path / "video.mp4"
    with open(big, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(StoreError, match="video.mp4 is 25.0 MB; files can be at most 25 MB"):
        attach_file(store, case.id, big, base=tmp_path / "data")
    with pytest.raises(StoreError, match="There is no file at"):
        attach_file(store, case.id, tmp_path / "nope.pdf", base=tmp_path / "data")
    assert store.records(CaseFile, case.id) == []
    folder = tmp_path / "data" / "files"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_plan_like_names_are_recognised():
    assert looks_like_plan("Attendance plan - Ro.pdf")
    assert looks_like_plan("student_plan_v2.docx")
    assert looks_like_plan("Mahere ako.docx")
    assert not looks_like_plan("Planet project.pdf")
    assert not looks_like_plan("attendance-letter.pdf")
