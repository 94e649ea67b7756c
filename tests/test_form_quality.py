"""Recording-quality advice in the forms: shown as guidance, never blocking a save."""

from __future__ import annotations

from textual.widgets import Static

from ascms_tui.domain import INITIAL_WHANAU_MEETING, CaseComment, Event

from .test_forms import SIZE, open_form, quick_app, save, type_in


def advice_text(form) -> str:
    line = form.query_one("#quality-advice", Static)
    return line.content.plain if line.display else ""


async def test_vague_initial_meeting_description_is_flagged_but_saves(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "event")
        await type_in(pilot, "#subject", INITIAL_WHANAU_MEETING)
        await type_in(pilot, "#start-date", "yesterday")
        await type_in(pilot, "#start-time", "10am")
        await type_in(pilot, "#end-time", "11am")
        await type_in(pilot, "#description", "Met with school")
        await pilot.pause(0.7)  # live checks run half a second after typing stops
        assert "“Met with school”: The practice guide's example of a description that is not useful" in advice_text(form)
        await save(pilot)
        saved = [e for e in app.store.records(Event, case.id) if e.description == "Met with school"]
        assert len(saved) == 1


async def test_judgement_wording_in_a_comment_gets_the_oia_reminder(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        case, form = await open_form(pilot, "comment")
        await type_in(pilot, "#body", "Mum obviously doesn't care about school.")
        await pilot.pause(0.7)
        text = advice_text(form)
        assert "“obviously”" in text and "“doesn't care”" in text
        assert "Official Information Act or the Privacy Act" in text
        await type_in(pilot, "#body", " Rewritten: caregiver said mornings are hard.")
        await save(pilot)
        assert any("mornings are hard" in c.body for c in app.store.records(CaseComment, case.id))


async def test_factual_comment_gets_no_advice(demo_db):
    app = quick_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        _, form = await open_form(pilot, "comment")
        await type_in(pilot, "#body", "Naki attended 4 of 5 days; whānau keep the morning routine.")
        await pilot.pause(0.7)
        assert advice_text(form) == ""
