"""The case view, driven through the real app on the 40-case demo caseload (today is 30 June 2026)."""

from __future__ import annotations

import importlib.util
import io
from datetime import UTC, date, datetime

import pytest
from rich.console import Console
from textual.screen import Screen

from ascms_tui.calendar import business_days_between
from ascms_tui.domain import CaseComment, Contact
from ascms_tui.interchange import FORMAT, import_document
from ascms_tui.store import Store
from ascms_tui.timeline import COMMENT, EVENT, STATUS_CHANGE, TASK
from screens.case_list import CaseListScreen
from screens.case_view import CaseViewScreen
from widgets.case_header import CaseHeader
from widgets.case_records import CaseDetails, RelatedRecords
from widgets.timeline import Timeline, header_chunks

from .conftest import DEMO_TODAY, make_app

SIZE = (100, 30)
RICH_CASE = "00202205"  # upcoming and today's entries, unsynced records, initial meetings
HOSTILE = "closing [/foo] tag [bold]x[/bold] \x1b[2J"
HOSTILE_SHOWN = "closing [/foo] tag [bold]x[/bold]"
FORMS_BUILT = importlib.util.find_spec("screens.forms") is not None


def case_id(db, number: str) -> str:
    with Store(db) as store:
        return store.find_case(number).id


async def open_case(pilot, number: str) -> CaseViewScreen:
    app = pilot.app
    await app.workers.wait_for_complete()
    app.open_case(app.store.find_case(number).id)
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, CaseViewScreen)
    return screen


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def screen_lines(app) -> list[str]:
    """What the terminal shows, line by line."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def screen_segments(app):
    return [segment for strip in app.screen._compositor.render_strips() for segment in strip]


# -- header ------------------------------------------------------------------------------------


async def test_header_shows_the_case_as_as_cms_does(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, "00202113")
        header = screen.query_one(CaseHeader).text
        days = business_days_between(date(2026, 3, 4), DEMO_TODAY)

        assert screen.case_id == case_id(demo_db, "00202113")
        for expected in (
            "Cooper Sutherland", "NSN 155920005", "Case 00202113", " Open ", "Chronic Absence", " Migrated ",
            "Case owner Not assigned",  # a migrated case with no owner: the gap is shown, not hidden
            "Catchment Waipā", "School Tōtara Lakes High School", "Primary contact Helen Marsh",
            "Whānau Leanne Sutherland (Parent / Caregiver) 022 555 1332",
            f"Referred 4/03/2026 · {days} business days",
        ):
            assert expected in header
        assert "Cooper Sutherland" in "\n".join(screen_lines(pilot.app)[:3])


async def test_header_gives_known_as_then_legal_name(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, "00304214")
        assert "Millie (Amelia " in screen.query_one(CaseHeader).text


async def test_colours_follow_the_theme(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, RICH_CASE)
        header = screen.query_one(CaseHeader)
        dark = [span.style for span in header.content.spans]
        pilot.app.theme = "textual-light"
        await settle(pilot)
        assert [span.style for span in header.content.spans] != dark
        assert "Nīkau Whaanga" in "\n".join(screen_lines(pilot.app))


# -- timeline ----------------------------------------------------------------------------------


async def test_timeline_is_newest_first_grouped_upcoming_today_by_month(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, RICH_CASE)
        timeline = screen.query_one(Timeline)
        entries = timeline.shown_entries
        headings = [line for line in timeline.rendered_lines() if " · " in line and line.split(" · ")[-1].isdigit()]

        assert [e.when for e in entries if e.kind != TASK] == sorted((e.when for e in entries if e.kind != TASK), reverse=True)
        assert headings == ["Upcoming · 2", "Today · 1", "June 2026 · 7", "May 2026 · 7", "April 2026 · 4", "March 2026 · 3"]
        lines = screen_lines(pilot.app)
        upcoming = next(i for i, line in enumerate(lines) if "Upcoming · 2" in line)
        assert "Call Whetū about the enrolment interview  Due 6/07/2026" in lines[upcoming + 1]
        assert "School Meeting  2/07/2026, 9:00 am – 10:00 am" in "\n".join(lines)
        assert "No description" in "\n".join(lines)  # the booked meeting has nothing written yet
        assert "Today · 1" in "\n".join(lines)


async def test_initial_meetings_show_nz_date_time_and_time_spent(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, RICH_CASE)
        timeline = screen.query_one(Timeline)
        by_title = {e.title: e for e in timeline.shown_entries if e.is_initial_meeting}

        whanau = timeline.entry_text(by_title["Initial Student / Whānau Meeting"])[0]
        school = timeline.entry_text(by_title["Initial School Meeting"])[0]

        assert whanau.startswith("Event   Initial Student / Whānau Meeting  2/04/2026, 10:00 am – 11:15 am · 2 h")
        assert school.startswith("Event   Initial School Meeting  26/03/2026, 9:00 am – 9:30 am · 1 h 15 min")
        title_style = dict(header_chunks(by_title["Initial School Meeting"]))
        assert title_style["Initial School Meeting"] == "timeline--initial"  # highlighted


async def test_a_long_comment_is_wrapped_and_readable_in_full(demo_db):
    words = [f"word{n:03d}" for n in range(180)]
    body = "Whānau hui notes: " + " ".join(words) + " end."
    with Store(demo_db) as store:
        case = store.find_case(RICH_CASE)
        store.create(CaseComment(case_id=case.id, body=body, recorded_at=datetime(2026, 6, 30, 4, 0, tzinfo=UTC)))
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, RICH_CASE)
        timeline = screen.query_one(Timeline)
        comment = next(e for e in timeline.shown_entries if e.body == body)
        lines = timeline.entry_text(comment)

        assert len(lines) > 10  # wrapped over many lines, not cut to one
        shown = " ".join(lines)
        assert all(word in shown.split() for word in words)
        assert max(len(line) for line in lines) <= timeline.scrollable_content_region.width - 2
        # And on screen, in place: the comment is today's newest entry.
        await pilot.press("down")  # from the upcoming task to the upcoming meeting...
        await pilot.press("down")  # ...to today's comment
        assert timeline.selected_entry is comment
        assert "word000" in "\n".join(screen_lines(pilot.app))


async def test_unsynced_entries_are_marked(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, RICH_CASE)
        timeline = screen.query_one(Timeline)
        first_lines = {e.record_id: timeline.entry_text(e)[0] for e in timeline.shown_entries}
        unsynced = {e.record_id for e in timeline.shown_entries if not e.synced}

        assert len(unsynced) == 2  # today's home visit and the new task
        assert all(("Not synced" in line) == (record_id in unsynced) for record_id, line in first_lines.items())
        assert "Home Visit  30/06/2026, 2:15 pm – 3:01 pm · 1 h 22 min   Not synced " in "\n".join(screen_lines(pilot.app))


async def test_shared_comments_carry_a_badge(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, RICH_CASE)
        timeline = screen.query_one(Timeline)
        for entry in timeline.shown_entries:
            if entry.kind == COMMENT:
                assert ("Shared with school" in timeline.entry_text(entry)[0]) == entry.shared_with_school


async def test_filter_by_record_type(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, RICH_CASE)
        timeline = screen.query_one(Timeline)
        assert len(timeline.shown_entries) == 24

        shown = {}
        for _ in range(4):
            await pilot.press("f")
            kinds = {e.kind for e in timeline.shown_entries}
            shown[kinds.pop()] = len(timeline.shown_entries)
            assert not kinds
        assert shown == {EVENT: 13, COMMENT: 4, TASK: 5, STATUS_CHANGE: 2}
        filter_bar = "\n".join(screen_lines(pilot.app))
        assert "Status changes 2" in filter_bar

        await pilot.press("f")  # round to All
        assert len(timeline.shown_entries) == 24
        await pilot.press("F")  # and back
        assert {e.kind for e in timeline.shown_entries} == {STATUS_CHANGE}


async def test_an_empty_filter_says_so(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        await open_case(pilot, "00304667")  # in the Provider Queue: one status change, nothing else
        assert "Status set to Provider Queue" in "\n".join(screen_lines(pilot.app))
        await pilot.press("f")  # events
        assert "Nothing of this type on this case: f shows the next type." in "\n".join(screen_lines(pilot.app))


async def test_resizing_rewraps_the_text(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, RICH_CASE)
        timeline = screen.query_one(Timeline)
        wide = timeline.rendered_lines()
        await pilot.resize_terminal(70, 24)
        await settle(pilot)
        narrow = timeline.rendered_lines()
        assert max(map(len, narrow)) <= 70 - 3 < max(map(len, wide))
        assert " ".join(" ".join(narrow).split()) == " ".join(" ".join(wide).split())  # same words, rewrapped
        assert timeline.selected_entry is timeline.shown_entries[0]


async def test_a_click_selects_an_entry(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, RICH_CASE)
        timeline = screen.query_one(Timeline)
        lines = screen_lines(pilot.app)
        row = next(i for i, line in enumerate(lines) if "School Meeting  2/07/2026" in line)
        await pilot.click(Timeline, offset=(10, row - timeline.region.y))
        assert timeline.selected_entry.title == "School Meeting"


async def test_cursor_moves_with_arrows_and_j_k(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, RICH_CASE)
        timeline = screen.query_one(Timeline)
        entries = timeline.shown_entries
        assert timeline.selected_entry is entries[0]
        await pilot.press("j", "down", "j")
        assert timeline.selected_entry is entries[3]
        await pilot.press("k", "up")
        assert timeline.selected_entry is entries[1]
        await pilot.press("end")
        assert timeline.selected_entry is entries[-1]
        assert "Status set to Provider Queue" in "\n".join(screen_lines(pilot.app))
        await pilot.press("home")
        assert timeline.selected_entry is entries[0]
        await pilot.press("pagedown")
        paged = timeline.selected_entry
        assert entries.index(paged) > 2
        assert timeline.entry_text(paged)[0] in "\n".join(screen_lines(pilot.app))  # scrolled to it
        await pilot.press("pageup")
        assert entries.index(timeline.selected_entry) < entries.index(paged)


def test_wrapping_splits_overlong_words_and_keeps_line_breaks():
    from widgets.timeline import wrap_text

    assert wrap_text("one two three four", 9) == ["one two", "three", "four"]
    assert wrap_text("https://example.co.nz/a-very-long-path", 10) == ["https://ex", "ample.co.n", "z/a-very-l", "ong-path"]
    assert wrap_text("a " + "x" * 25 + " b", 10) == ["a", "x" * 10, "x" * 10, "xxxxx b"]
    assert wrap_text("Kia ora\n\nNgā mihi", 40) == ["Kia ora", "", "Ngā mihi"]
    assert wrap_text("漢字漢字漢字", 5) == ["漢字", "漢字", "漢字"]  # two cells each


# -- opening forms -----------------------------------------------------------------------------


def spy_on_forms(app) -> list[tuple]:
    calls = []
    real = app.open_form

    def open_form(kind, case_id, record_id=None, draft=None):
        calls.append((kind, case_id, record_id))
        real(kind, case_id, record_id, draft)

    app.open_form = open_form
    return calls


@pytest.mark.parametrize(("key", "kind"), [("e", "event"), ("c", "comment"), ("t", "task")])
async def test_keys_open_a_new_record_form_for_this_case(demo_db, key, kind):
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, RICH_CASE)
        calls = spy_on_forms(app)
        await pilot.press(key)
        await pilot.pause()
        assert calls == [(kind, screen.case_id, None)]
        if FORMS_BUILT:
            from screens.forms import FORM_SCREENS

            assert isinstance(app.screen, FORM_SCREENS[kind])


async def test_enter_opens_the_selected_entry_and_status_changes_stay_read_only(demo_db):
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, RICH_CASE)
        timeline = screen.query_one(Timeline)
        calls = spy_on_forms(app)

        await pilot.press("end")  # the oldest entry: the case entering the Provider Queue
        assert timeline.selected_entry.kind == STATUS_CHANGE
        await pilot.press("enter")
        await pilot.pause()
        assert calls == [] and app.screen is screen

        await pilot.press("home", "down")  # the upcoming school meeting
        selected = timeline.selected_entry
        await pilot.press("enter")
        await pilot.pause()
        assert calls == [(EVENT, screen.case_id, selected.record_id)]
        if FORMS_BUILT:
            from screens.forms import FORM_SCREENS

            assert isinstance(app.screen, FORM_SCREENS[EVENT])


async def test_coming_back_from_a_form_shows_the_new_record_at_once(demo_db):
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, RICH_CASE)
        await app.push_screen(Screen())  # stands in for a form
        saved = app.store.create(CaseComment(case_id=screen.case_id, body="Saved from the form.",
                                             recorded_at=datetime(2026, 6, 30, 4, 30, tzinfo=UTC)))
        app.pop_screen()
        await settle(pilot)

        timeline = screen.query_one(Timeline)
        assert timeline.selected_entry.record_id == saved.id
        assert "Saved from the form." in "\n".join(screen_lines(app))


async def test_escape_and_backspace_go_back_to_the_list(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        for key in ("escape", "backspace"):
            await open_case(pilot, RICH_CASE)
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(pilot.app.screen, CaseListScreen)


# -- details and related -----------------------------------------------------------------------


async def test_details_tab_lists_student_school_and_contacts(demo_db):
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        await open_case(pilot, RICH_CASE)
        await pilot.press("2")
        await settle(pilot)
        text = "\n".join(screen_lines(pilot.app))

        for expected in (
            "Date of birth  6/08/2014", "Iwi            Tūhoe", "Year level     7",
            "School number    9371", "Primary contact  Ngaire Rāpata",
            "Contacts · 3",
            "Whetū Whaanga  Parent / Caregiver   ✓ details current (confirmed 2/04/2026)",
            "Phone 022 555 8428", "Email whetu.whaanga@example.co.nz", "Address 106 Kōwhai Street",
            "Preferred Phone",
        ):
            assert expected in text
        assert isinstance(pilot.app.focused, CaseDetails)


async def test_details_shows_contacts_whose_details_are_not_current(demo_db):
    with Store(demo_db) as store:
        stale = next(case.case_number for case in store.cases()
                     if any(not c.details_current for c in store.records(Contact, case.id)))
    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        await open_case(pilot, stale)
        await pilot.press("2")
        await settle(pilot)
        assert "✗ details not current" in "\n".join(screen_lines(pilot.app))


# The Related tab's own tests are in test_related_tab.py.


def _plain(renderable) -> list[str]:
    """A renderable as plain text (shown or not: it may be scrolled away)."""
    console = Console(width=SIZE[0] - 4, file=io.StringIO(), record=True, color_system=None)
    console.print(renderable)
    return console.export_text().splitlines()


# -- untrusted text ----------------------------------------------------------------------------


async def test_hostile_text_is_shown_literally_in_the_timeline_and_the_related_list(demo_db):
    # THE REQUIRED TEST: markup and an escape sequence in an imported comment.
    document = {"format": FORMAT, "cases": [{
        "case_number": "00399999", "case_type": "Chronic Absence", "referral_date": "2026-06-01",
        "student": {"name": "Aroha [/foo] Invented"},
        "comments": [{"body": HOSTILE, "recorded_at": "2026-06-29T10:00:00+12:00"}],
        "events": [{"subject": "Visit [/foo] [bold]x[/bold]", "start": "2026-06-29T09:00:00+12:00",
                    "description": HOSTILE}],
    }]}
    with Store(demo_db) as store:
        import_document(store, document, source="hostile.json")
        stored = store.records(CaseComment, store.find_case("00399999").id)[0].body
    assert stored == HOSTILE_SHOWN + " "  # the escape sequence was removed on the way in

    async with make_app(demo_db).run_test(size=SIZE) as pilot:
        screen = await open_case(pilot, "00399999")
        lines = screen_lines(pilot.app)
        text = "\n".join(lines)

        assert text.count(HOSTILE_SHOWN) == 2  # the comment and the event description
        assert "Visit [/foo] [bold]x[/bold]" in text
        assert "Aroha [/foo] Invented" in text
        assert "\x1b" not in text
        # Nothing was parsed as markup: each text is one segment, tags and all, and the body is not bold.
        segments = screen_segments(pilot.app)
        bodies = [s for s in segments if HOSTILE_SHOWN in s.text]
        assert len(bodies) == 2 and not any(s.style and s.style.bold for s in bodies)
        assert any("Visit [/foo] [bold]x[/bold]" in s.text for s in segments)

        await pilot.press("3")
        await settle(pilot)
        related = screen.query_one(RelatedRecords)
        related_text = "\n".join(line for option in related.options for line in _plain(option.prompt))
        assert HOSTILE_SHOWN in related_text
        assert "Visit [/foo] [bold]x[/bold]" in related_text
        on_screen = "\n".join(screen_lines(pilot.app))
        assert HOSTILE_SHOWN in on_screen and "\x1b" not in on_screen


# -- snapshots ---------------------------------------------------------------------------------


def _opened(number: str, *keys: str):
    async def run_before(pilot):
        await pilot.app.workers.wait_for_complete()
        pilot.app.open_case(pilot.app.store.find_case(number).id)
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)

    return run_before


def test_snapshot_timeline_100x30(demo_db, snap_compare):
    assert snap_compare(make_app(demo_db), terminal_size=SIZE, run_before=_opened(RICH_CASE))


def test_snapshot_details_100x30(demo_db, snap_compare):
    assert snap_compare(make_app(demo_db), terminal_size=SIZE, run_before=_opened(RICH_CASE, "2"))


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
