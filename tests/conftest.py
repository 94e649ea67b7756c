from __future__ import annotations

from datetime import date

import pytest

from ascms_tui.domain import Case
from ascms_tui.store import Store


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "cases.sqlite3", actor="test-user") as opened:
        yield opened


def make_case(number: str = "00307473", **overrides) -> Case:
    fields = dict(
        case_number=number,
        case_type="Chronic Absence",
        referral_date=date(2026, 6, 1),
        student={"name": "Aroha Invented", "known_as": "Ro"},
        school={"name": "Kōwhai Valley School", "number": "9999"},
    )
    fields.update(overrides)
    return Case(**fields)
