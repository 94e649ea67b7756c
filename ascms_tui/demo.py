"""Demo caseloads in the ``ascms-tui/1`` interchange format.

Everyone here is invented: students, whānau, school staff, case managers and
schools (school numbers too). The text imitates the "useful" examples of the
practice guide "Recording case management activity", and about a quarter of
the cases carry a deliberate recording gap (see ``GAPS``) so that the quality,
reporting and timeliness checks have something to find.

Output is plain JSON-ready dicts, built without pydantic so that a 10,000-case
file is quick to make; ``tests/test_demo.py`` checks it against the models.
The demo is a snapshot taken at 5.30 pm NZ time on ``today``: nothing is dated
later than that except task due dates, plan review and step dates, follow-up
dates and a few events booked ahead.
"""

from __future__ import annotations

import json
import random
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from .calendar import is_business_day
from .domain import (
    INITIAL_SCHOOL_MEETING,
    INITIAL_WHANAU_MEETING,
    BarrierCategory,
    CaseStatus,
    CaseType,
    StatusReason,
)
from .interchange import FORMAT, LISTS
from .nztime import NZ, nz_today

__all__ = [
    "FORMAT",
    "DEMO_USER",
    "GAPS",
    "LIST_KEYS",
    "MISTYPED_WHANAU_SUBJECT",
    "VAGUE_DESCRIPTION",
    "count_records",
    "generate_caseload",
    "iter_cases",
    "write_caseload",
]

LIST_KEYS = tuple(LISTS)
# The deliberate recording gaps, one per affected case.
GAPS = (
    "missing_initial_meeting",  # no Initial School Meeting Event at all (the meeting may sit under "School Meeting")
    "vague_whanau_meeting",  # Initial Student / Whānau Meeting described only as "Met with school"
    "typo_whanau_subject",  # subject "Initial Whanau Meeting": reporting will not count it
    "draft_plan",  # the only plan is still Draft
    "plan_without_steps",  # an In Progress plan with no steps
    "migrated_no_owner",  # migrated case with no Case Owner
    "today_no_time",  # an Event today with Hours 0 and Minutes 0
    "contact_not_current",  # caregiver's details not current
    "opinionated_comment",  # a judgemental comment for the quality check
    "late_recording",  # initial whānau meeting entered 6-15 business days after it happened
)
MISTYPED_WHANAU_SUBJECT = "Initial Whanau Meeting"
VAGUE_DESCRIPTION = "Met with school"

_NOW_MINUTE = 17 * 60 + 30  # the snapshot is taken at 5.30 pm on `today`

# --- picklist values as plain strings (no enum work per record) ---------------

_PQ, _OPEN, _PAUSED, _TRANSITION, _CLOSED = (s.value for s in CaseStatus)
_CA, _NEN = CaseType.CHRONIC_ABSENCE.value, CaseType.NON_ENROLLED.value
_R = StatusReason
_B = BarrierCategory

# --- invented people -----------------------------------------------------------
# Each group: ethnicity, girls', boys', women's and men's first names, surnames,
# and whether iwi applies. Names are common given names and family names
# combined at random; no combination is meant to be anyone.
_GROUPS: tuple[tuple[str, tuple, tuple, tuple, tuple, tuple, bool], ...] = (
    (
        "Māori",
        ("Tūī", "Kahurangi", "Anahera", "Mīria", "Aroha", "Mere", "Huia", "Waimarie", "Ātaahua", "Kōwhai", "Manaia", "Hine", "Ngaio", "Māia"),
        ("Rāwiri", "Hōhepa", "Tāne", "Wiremu", "Nīkau", "Tama", "Hēmi", "Tīmoti", "Hōani", "Ariki", "Kauri", "Pita", "Manaaki", "Rongo"),
        ("Aroha", "Mereana", "Huia", "Ngaire", "Hinemoa", "Kiri", "Roimata", "Whetū", "Marama", "Tania"),
        ("Wiremu", "Rāwiri", "Hēmi", "Tame", "Matiu", "Hōri", "Piripi", "Rangi", "Te Ahu", "Mikaere"),
        ("Herewini", "Tautahi", "Paewai", "Te Rangi", "Whaanga", "Kereama", "Karaka", "Tomoana", "Ruatapu", "Waaka", "Te Huia", "Tipene", "Kingi", "Mahuika", "Tahana", "Poutama"),
        True,
    ),
    (
        "NZ European",
        ("Olivia", "Charlotte", "Isla", "Ruby", "Harper", "Mia", "Zoe", "Ella", "Lily", "Sophie", "Amelia", "Georgia"),
        ("Oliver", "Jack", "Noah", "Liam", "Lucas", "Finn", "Cooper", "Mason", "Hunter", "Archie", "Lachlan", "Toby"),
        ("Sarah", "Kylie", "Michelle", "Rebecca", "Nicole", "Leanne", "Amy", "Jess"),
        ("Craig", "Shane", "Brendon", "Jason", "Michael", "Grant", "Darren", "Aaron"),
        ("Thompson", "Wilson", "Campbell", "Robertson", "Stewart", "Mitchell", "Harris", "Bennett", "Fraser", "Gallagher", "Sutherland", "McKenzie"),
        False,
    ),
    (
        "Samoan",
        ("Malia", "Losa", "Leilani", "Faith", "Seini", "Talia"),
        ("Iosefa", "Tavita", "Sione", "Falani", "Mikaele", "Junior"),
        ("Losa", "Malia", "Tina", "Sina", "Lagi", "Mele"),
        ("Tavita", "Iosefa", "Peni", "Tui", "Sefo"),
        ("Leota", "Aumua", "Fonoti", "Matagi", "Pauga", "Faleolo", "Tuimavave", "Sapini"),
        False,
    ),
    (
        "Tongan",
        ("Mele", "Losana", "Ana", "Salote", "Lupe"),
        ("Viliami", "Siosaia", "Sione", "Tevita", "Semisi"),
        ("Mele", "Seini", "Lesieli", "Salome"),
        ("Viliami", "Sione", "Tevita", "Paula"),
        ("Taufa", "Fifita", "Havili", "Latu", "Vaipulu", "Kata", "Moala"),
        False,
    ),
    (
        "Cook Islands Māori",
        ("Teina", "Mareta", "Tiare", "Ngatokorua"),
        ("Tangi", "Teariki", "Mataio", "Tepaki"),
        ("Mareta", "Tiare", "Nga"),
        ("Teariki", "Tangi", "Vaine"),
        ("Marsters", "Tangimetua", "Tuara", "Rima"),
        False,
    ),
    (
        "Chinese",
        ("Mei", "Jia Hui", "Xin Yi", "Lucy", "Amy"),
        ("Hao", "Jun", "Kevin", "Ethan", "Wei"),
        ("Li Na", "Xiu", "Grace", "Jenny"),
        ("Jian", "David", "Ming", "Tony"),
        ("Chen", "Wang", "Zhou", "Lin", "Huang"),
        False,
    ),
    (
        "Indian",
        ("Priya", "Anika", "Diya", "Saanvi", "Aisha"),
        ("Aarav", "Rohan", "Arjun", "Dev", "Kabir"),
        ("Sunita", "Neha", "Pooja", "Harpreet"),
        ("Rajesh", "Vikram", "Gurpreet", "Sanjay"),
        ("Sharma", "Patel", "Singh", "Kumar", "Nair", "Reddy"),
        False,
    ),
    (
        "Filipino",
        ("Maria", "Andrea", "Angel", "Kristine", "Bea"),
        ("Angelo", "Joshua", "Miguel", "Carlo", "Jericho"),
        ("Maricel", "Rowena", "Jocelyn"),
        ("Ramon", "Arnel", "Jun"),
        ("Santos", "Reyes", "Cruz", "Bautista", "Dela Cruz", "Mendoza"),
        False,
    ),
    (
        "Māori, NZ European",
        ("Tūī", "Aroha", "Ruby", "Kahu", "Isla", "Ngaio", "Mia"),
        ("Nīkau", "Tāne", "Jack", "Kauri", "Hunter", "Ari", "Finn"),
        ("Kiri", "Sarah", "Aroha", "Nicole", "Marama"),
        ("Shane", "Rangi", "Jason", "Matiu"),
        ("Tautahi", "Wilson", "Kereama", "Campbell", "Paewai", "Harris", "Te Rangi", "McKenzie"),
        True,
    ),
)
# Roughly a North Island provider's caseload: Māori ākonga over-represented.
_GROUP_WEIGHTS = (40, 22, 8, 6, 3, 4, 5, 3, 9)
_KNOWN_AS = {
    "Kahurangi": "Kahu", "Anahera": "Ana", "Ātaahua": "Ata", "Rāwiri": "Wiri", "Hōhepa": "Hepa",
    "Tīmoti": "Tim", "Manaaki": "Naki", "Waimarie": "Wai", "Charlotte": "Charlie", "Lachlan": "Lachie",
    "Amelia": "Millie", "Iosefa": "Sefa", "Siosaia": "Saia", "Viliami": "Vili", "Ngatokorua": "Nga",
    "Xin Yi": "Cindy", "Jia Hui": "Jia", "Jericho": "Jeck", "Mikaele": "Mika",
}
_IWI = (
    "Ngāti Porou", "Tainui", "Ngāpuhi", "Ngāi Tahu", "Te Arawa", "Ngāti Kahungunu",
    "Tūhoe", "Ngāti Whātua", "Ngāti Maniapoto", "Te Āti Awa", "Ngāti Raukawa", "Te Rarawa",
)
_CASE_OWNERS = ("Kiri Tomlinson", "Hamish Petrie", "Losa Aumua-Reid", "Anjali Raman", "Wiremu Baxter")
_CASE_OWNER_WEIGHTS = (55, 15, 12, 10, 8)
# The case manager the demo app opens as: "my cases" are theirs.
DEMO_USER = _CASE_OWNERS[0]

# Invented schools: name, number, first and last year level, catchment,
# primary contact, their role, email domain.
_SCHOOLS = (
    ("Kōwhai Valley School", "8417", 1, 6, 0, "Jo Whitfield", "Deputy Principal", "kowhaivalley.school.nz"),
    ("Tūī Grove School", "9032", 1, 6, 1, "Mereana Paki", "Attendance Lead", "tuigrove.school.nz"),
    ("Pūriri Creek School", "8755", 1, 6, 2, "Sandra Lowe", "Principal", "puriricreek.school.nz"),
    ("Harakeke Bay School", "9586", 1, 6, 0, "Tevita Moala", "Deputy Principal", "harakekebay.school.nz"),
    ("Kererū Ridge School", "8129", 1, 8, 1, "Fiona Gallagher", "Learning Support Coordinator", "kereruridge.school.nz"),
    ("Awatea Rise School", "9371", 1, 8, 2, "Ngaire Rāpata", "Attendance Lead", "awatearise.school.nz"),
    ("Te Awa Intermediate", "8893", 7, 8, 0, "Paul Henare", "Deputy Principal", "teawa.school.nz"),
    ("Ruru Park Intermediate", "9214", 7, 8, 1, "Anna Kovacs", "Dean", "rurupark.school.nz"),
    ("Mānuka Heights College", "8640", 9, 13, 0, "Rachel Tiakiwai", "Dean", "manukaheights.school.nz"),
    ("Pōhutukawa Coast College", "9468", 9, 13, 1, "Simon Lealaiauloto", "Attendance Lead", "pohutukawacoast.school.nz"),
    ("Tōtara Lakes High School", "8306", 9, 13, 2, "Helen Marsh", "Deputy Principal", "totaralakes.school.nz"),
    ("Rimuwhenua College", "9705", 9, 13, 0, "Hone Paraone", "Dean", "rimuwhenua.school.nz"),
    ("Whetū Hill Area School", "8564", 1, 13, 2, "Kate Brosnan", "Principal", "whetuhill.school.nz"),
)
_CATCHMENTS = ("Kirikiriroa East", "Kirikiriroa West", "Waipā")
_TOWNS = ("Tauranga", "Rotorua", "Ōtaki", "Whanganui", "Te Awamutu", "Huntly", "Whangārei", "Porirua")
_STREETS = (
    "Kōwhai Street", "Tōtara Crescent", "Rimu Road", "Pūriri Place", "Harakeke Lane", "Kererū Way",
    "Mānuka Drive", "Kauri Close", "Nīkau Grove", "Tūī Terrace", "Mataī Avenue", "Raupō Street",
)
_SUBURBS = ("Fairview Downs", "Riverlea", "Glenview", "Enderley", "Nawton", "Dinsdale", "Melville", "Flagstaff")

# --- text pools ----------------------------------------------------------------
# Placeholders are filled from a per-case context (see _Builder._context).
# {they} is only ever followed by a verb that does not agree with it
# (said, will, can, would, had), so he/she/they all read correctly.

_BARRIERS = {
    _B.HEALTH.value: (
        ("ongoing asthma", "{s} has ongoing asthma and has missed several days this term with flare-ups. {CgRel} has a GP appointment booked and the school has a copy of the asthma plan."),
        ("recurring ear infections", "Recurring ear infections; {s} is waiting for a grommets referral. Absences cluster around each infection."),
    ),
    _B.ANXIETY_WELLBEING.value: (
        ("anxiety before school", "{s} reports feeling anxious before school, particularly on days with {subj}. Mornings are the hardest time; {s} often gets as far as the gate and then asks to go home."),
        ("low mood since a family bereavement", "{s} has had low mood since {their} koro passed away last term. Whānau say {s} is sleeping late and withdrawn."),
    ),
    _B.TRANSPORT.value: (
        ("transport difficulties", "Whānau moved to {suburb} this year; there is no direct bus to {school} and the family car is off the road."),
        ("the cost of the bus", "Bus fares for {s} and two siblings are more than the household can manage each week."),
    ),
    _B.FINANCIAL_HARDSHIP.value: (
        ("the cost of uniform and stationery", "Household income has dropped since {cg} lost shift work. {s} has been staying home when the uniform is not clean or shoes do not fit."),
        ("financial pressure at home", "{CgRel} is supporting four tamariki on one income; lunches and uniform costs are a regular worry."),
    ),
    _B.HOUSING.value: (
        ("moving between houses", "Whānau are in emergency housing and have moved twice this term; travel to school is now over an hour each way."),
        ("overcrowded housing", "Three families share a three-bedroom house; {s} has little space to sleep and often goes to bed late."),
    ),
    _B.LEARNING_NEEDS.value: (
        ("difficulty with reading", "{s} is reading well below the expected level and finds class work hard. School is arranging a learning support assessment."),
        ("unsupported learning needs", "{s} has a diagnosis of dyslexia; whānau feel the current classroom support is not enough."),
    ),
    _B.FAMILY_CIRCUMSTANCES.value: (
        ("caring for younger siblings", "{s} has been looking after younger siblings in the mornings while {cg} works early shifts."),
        ("changes in care arrangements", "{s} has been moving between {their} {cg_rel}'s and {their} nan's houses during the week, and school gear is often at the other house."),
    ),
    _B.SCHOOL_RELATIONSHIPS.value: (
        ("conflict with peers", "{s} reports conflict with a group of students at lunchtimes and does not want to return to {their} form class."),
        ("a difficult relationship with a teacher", "{s} says {they} had a falling out with a teacher last term and feels singled out in class."),
    ),
    _B.OTHER.value: (
        ("time spent away with whānau", "{s} has been staying with whānau in {town} for several weeks at a time."),
        ("late nights gaming", "{s} is often up late online and finds it hard to get up for school."),
    ),
}
_BARRIER_CATEGORIES = tuple(_BARRIERS)
_BARRIER_WEIGHTS = (8, 16, 11, 10, 7, 9, 12, 10, 4)

_SUBJECTS = ("maths", "reading", "writing", "PE", "science", "te reo Māori class", "group work")
_SUBJECTS_GOOD = ("art", "kapa haka", "sport", "technology", "music", "science")
_SCHOOL_ACTIONS = (
    "daily check-ins with the dean",
    "a partial timetable",
    "letters and phone calls home",
    "a meeting with the learning support coordinator",
    "a buddy system in class",
    "the breakfast club",
    "an attendance plan agreed with whānau last term",
)
_VENUES = ("home", "the local library", "the school", "a café near home", "the whānau's home")
_WEEKS = ("three weeks", "four weeks", "five weeks", "six weeks", "eight weeks")

_SCHOOL_MEETING_CA = (
    "Met with {sc} ({sc_role}) and {sc_colleague} at {school} on {dmy}. School outlined {s}'s attendance pattern over the past {weeks} ({pct} of half-days), advised that {barrier} and morning routines are current barriers, and confirmed earlier attempts to support attendance through {action}. Agreed next steps: provider to contact whānau, school to send attendance history, and review progress in one week.",
    "Initial meeting at {school} on {dmy} with {sc} ({sc_role}). {s} has attended {pct} of the term so far, with most absences on Mondays and Fridays. School has already tried {action} and understands {barrier} is the main concern raised by whānau. School will share last term's attendance plan. Provider to arrange a home visit with {cg_full} ({cg_rel}) and report back to {sc_first} after that hui.",
    "Met with {sc} ({sc_role}) on {dmy} to discuss the referral. School described {s} as settled in class when at school but often late or absent; attendance is {pct} over the past {weeks}. School has tried {action}, which helped for a short time. School thinks {barrier} may be behind the absences. Agreed: provider to meet {s} and whānau, school to name a key adult for {s}, and all to meet again in two weeks.",
    "School meeting with {sc} ({sc_role}) and {s}'s form teacher on {dmy}. Reviewed attendance data ({pct} this term) and the steps taken so far, including {action}. Teacher noted {s} engages well in {subj_good} but avoids {subj}. Agreed next steps: provider to contact {cg} to arrange a whānau meeting, school to look at support in {subj}, follow-up meeting in a fortnight.",
)
_SCHOOL_MEETING_NEN = (
    "Met with {sc} ({sc_role}) at {school}, {s}'s most recently attended school, on {dmy}. School confirmed {s} last attended on {lastday} and that whānau had mentioned a move to {town}. School gave the last known address and phone numbers and confirmed no transfer request has been received. Agreed next steps: provider to attempt contact with whānau, check ENROL for any new enrolment, and update school by Friday.",
    "Met with {sc} ({sc_role}) at {school} on {dmy}. {s} was removed from the roll after 20 school days of unexplained absence; last attended {lastday}. School shared earlier concerns about {barrier} and its contact history with {cg_full} ({cg_rel}). Agreed: provider to visit the last known address this week; school is happy to re-enrol {s} with a transition plan if whānau wish.",
)
_WHANAU_MEETING_CA = (
    "Met with {cg_full} ({cg_rel}) and {s} at {venue} on {dmy}. Discussed concerns about {barrier}, recent absences, and how mornings are going. {CgRel} confirmed willingness to work on a morning routine and agreed to weekly check-ins. {s} identified {subj} as a source of stress. Next steps agreed: provider to explore a counselling referral, school to arrange subject support, and plan to be updated after next review.",
    "Met with {s}, {cg_full} ({cg_rel}) and {s}'s {w2_rel} at {venue} on {dmy}. Whānau shared that {barrier} has made getting to school hard since the start of term. {s} said {they} would like to go back but feels behind in {subj}. Agreed: whānau to have uniform and bag ready the night before, provider to look into a bus pass through UBNF, provider to share a draft plan with whānau and school next week.",
    "Kōrero with {cg_full} ({cg_rel}) and {s} at {venue} on {dmy}. {CgRel} explained the impact of {barrier} and said the school has been supportive. {s} named a teacher {they} can talk to and agreed to check in with them each morning. Next steps: provider to confirm the morning check-in with school, {cg} to let the office know by 8.45 am if {s} is away, follow-up visit in one week.",
    "Initial home visit with {cg_full} ({cg_rel}) and {s} on {dmy}. Talked through the referral, the support the Attendance Service can offer ākonga and whānau, and what has been happening at school. Main barriers identified: {barrier} and {barrier2}. {s} would like to return for full days after two weeks of mornings. Agreed to draft a plan together; {cg} consented to the provider talking with the school counsellor.",
)
_WHANAU_MEETING_NEN = (
    "Met with {cg_full} ({cg_rel}) and {s} at {venue} on {dmy}. {CgRel} explained the whānau moved from {town} recently and have not yet enrolled {s}. Discussed local options including {near_school}. {CgRel} agreed to visit the school together next week; provider to help with the enrolment forms and check uniform needs.",
    "Met {s} and {cg_full} ({cg_rel}) at {venue} on {dmy}. {s} has not attended school since {lastday}. Whānau said {barrier} made returning to {school} difficult. Discussed a fresh start at {near_school} and what support would help. Agreed: provider to contact {near_school} about an enrolment interview; whānau to find {s}'s birth certificate and immunisation record.",
)
_OTHER_CA = (
    "Accompanied {s} to the first counselling appointment at {agency}, as agreed with {cg}. {s} will attend fortnightly sessions on Tuesdays.",
    "Walked with {s} from home to school as part of the first week of the new routine. {s} arrived before the bell and went straight to the morning check-in.",
)
_ALL_DAY = "School cultural day: {s} attended the whole day and {cg} came to help in the afternoon. A good chance to connect with whānau and staff informally; no concerns raised."
# Follow-up events: subject, weight, minutes (meeting), minutes (time spent), templates.
# Three sets: chronic absence, non-enrolled, and whānau not yet reached.
_FOLLOW_UPS_CA = (
    ("Phone Call", 28, (10, 25), (15, 35), (
        "Phone call with {cg} ({cg_rel}). {CgRel} advised {s} was away Monday and Tuesday with a chest infection and has a medical certificate. Reminded {cg} to let the school office know. Agreed to check in again on Friday.",
        "Phone call with {sc} ({sc_role}). School confirmed {s} attended every day this week and has settled into the new timetable. Will share this with whānau at the next visit.",
        "Called {cg} to confirm the hui time. {CgRel} asked to move it to after 3 pm because of work; new time agreed and school told.",
        "Phone call with {cg}. {s} refused to go to school this morning after a disagreement at home. Talked through the plan; {cg} will drop {s} at the office at 10 am and the dean will meet {them} there.",
        "Tried {cg}'s mobile twice (no answer) and left a voicemail asking for a call back about {s}'s absences this week. Texted as well.",
    )),
    ("Home Visit", 20, (30, 60), (60, 105), (
        "Home visit with {cg} and {s} on {dmy}. {s} has attended {n} of the last {m} days. Talked through the morning routine; {cg} said mornings are easier since the alarm and bus plan started. Agreed: provider to confirm the bus pass top-up, {cg} to text the school on any day {s} is unwell. Next visit in two weeks.",
        "Visited at {time} as arranged; no one home. Left a card with contact details and texted {cg}. Will phone tomorrow and check with school whether {s} attended today.",
        "Home visit to drop off the uniform items from UBNF. {cg} and {s} were both home; {s} tried on the shoes and jersey and said {they} will wear them tomorrow. Talked about getting to school by 8.50 am.",
        "Home visit with {cg_full} and {s}'s {w2_rel}. Whānau raised a new worry about {barrier2}. Agreed to add this to the plan and to ask school about a quiet space at lunchtimes.",
    )),
    ("Student Check-in", 14, (15, 30), (30, 50), (
        "Check-in with {s} at school. {s} said {subj} is easier with the teacher aide support and that {they} had joined the lunchtime {subj_good} group. No new concerns raised. Next check-in in two weeks.",
        "Met {s} at school. Went through this fortnight's attendance together ({n} of {m} days). {s} set a goal of being on time every day next week.",
        "Check-in with {s} at school. {s} said the mornings are still hard but the walking group helps. Passed on to {sc_first} that {s} would like to sit near a friend in {subj}.",
    )),
    ("School Meeting", 12, (30, 60), (45, 90), (
        "Met with {sc} and {s}'s form teacher at {school}. Reviewed attendance since the plan started ({pct} over the last three weeks, up from {pct0}). School will continue the morning check-in and provider will update whānau.",
        "Meeting with {sc} ({sc_role}) about {s}'s partial timetable. Agreed to extend to full days from next Monday, with a quiet space available at lunchtime. Provider to let {cg} know today.",
        "Met with {sc} to plan {s}'s return after the holidays. School will set up a buddy and a key adult; provider will do a home visit the Friday before term starts.",
    )),
    ("Attendance Review Meeting", 10, (30, 60), (60, 90), (
        "Attendance review with {sc}, {cg} and {s}. Attendance for the last four weeks is {pct} (target 80%). Reviewed plan steps: bus pass in place, counselling started. Agreed to keep the plan as is and review again in four weeks.",
        "Review hui with {cg_full}, {s} and {sc} at {school}. Attendance has moved from {pct0} to {pct}. {s} said the key adult check-ins help. Plan updated: partial timetable ends, homework club added on Wednesdays.",
    )),
    ("Whānau Hui", 6, (60, 90), (90, 150), (
        "Whānau hui at {hui_venue} with {cg}, {s}'s {w2_rel} and {sc} from school. Kōrero focused on getting {s} back to school after the holidays. Whānau agreed to share morning drop-offs; school offered a gradual return starting with mornings. Plan updated with these steps.",
        "Hui with wider whānau at {hui_venue}.{hui_open} {s}'s {w2_rel} offered to have {s} stay on school nights; everyone agreed to try this for three weeks and review.",
    )),
    ("Multi-Agency Meeting", 5, (45, 90), (75, 120), (
        "Attended multi-agency meeting with school, {agency} and whānau (by phone). Shared attendance update and current barriers ({barrier}). {agency} will visit whānau next week; provider to send round the agreed actions by Friday.",
        "Multi-agency hui at {school} with {sc}, the public health nurse and {agency}. Agreed one lead contact for whānau (provider) so the ākonga and whānau are not visited by several agencies. Next hui in six weeks.",
    )),
    ("Other", 5, (20, 45), (30, 60), _OTHER_CA),
)
_FOLLOW_UPS_NEN = (  # before the student is enrolled
    ("Phone Call", 30, (10, 25), (15, 35), (
        "Phone call with {cg} ({cg_rel}). {CgRel} has the enrolment forms for {near_school} but is waiting on {s}'s birth certificate. Provider will help order a copy from Births, Deaths and Marriages.",
        "Called the {near_school} office. Enrolment interview for {s} booked for next Tuesday at 10 am; {cg} told by text.",
        "Tried {cg}'s mobile twice (no answer) and left a voicemail about the enrolment interview. Texted as well.",
        "Phone call with {cg}. {s} is nervous about starting somewhere new; agreed the provider will come along on the first morning.",
    )),
    ("Home Visit", 25, (30, 60), (60, 105), (
        "Home visit with {cg} and {s}. Completed the enrolment forms for {near_school} together. {CgRel} will drop them at the office tomorrow; provider to confirm they have arrived.",
        "Home visit to drop off uniform items from UBNF, ready for {s}'s start at {near_school}. {s} tried on the shoes and jersey; sizes are fine.",
        "Visited at {time} as arranged; no one home. Left a card and texted {cg}. Will try again on Thursday.",
    )),
    ("School Meeting", 10, (30, 60), (45, 90), (
        "Enrolment interview at {near_school} with {cg}, {s} and the deputy principal. School will confirm a start date once the forms are in; {s} will have a buddy for the first week.",
    )),
    ("Other", 12, (20, 45), (30, 60), (
        "Took {s} and {cg} to visit {near_school}. {s} met the deputy principal and saw the classroom; whānau want to go ahead with enrolment.",
        "Checked ENROL: no new enrolment recorded for {s} since {lastday}. Will raise the enrolment options again at the next home visit.",
    )),
    ("Whānau Hui", 5, (60, 90), (90, 150), (
        "Whānau hui at {hui_venue} with {cg} and {s}'s {w2_rel} about school options. Whānau prefer {near_school} because it is close to the {w2_rel}'s house; a visit is booked.",
    )),
    ("Multi-Agency Meeting", 4, (45, 90), (75, 120), (
        "Multi-agency hui with {agency}, the public health nurse and {cg} about helping the whānau settle and getting {s} enrolled. Actions sent to everyone by email.",
    )),
)
_FOLLOW_UPS_ENROLLED = (  # a non-enrolled student who has now started school
    ("Student Check-in", 30, (15, 30), (30, 50), (
        "Check-in with {s} at {near_school} at the end of the first week. {s} said {they} had made a friend in class and likes {subj_good}. No concerns raised.",
        "Check-in with {s} at {near_school}. {s} has attended {n} of {m} days and said {they} would like to join the {subj_good} group; passed on to the dean.",
    )),
    ("School Meeting", 20, (30, 60), (45, 90), (
        "Met with the dean at {near_school} about {s}'s first fortnight: {s} has attended {n} of {m} days. School will keep a key adult in place.",
    )),
    ("Phone Call", 30, (10, 25), (15, 35), (
        "Phone call with {cg}. {s} is settling in at {near_school} and has been getting the bus with a neighbour's children.",
        "Phone call with the {near_school} office: {s} was away today; {cg} had already called in to say {s} is unwell.",
    )),
    ("Home Visit", 20, (30, 60), (60, 105), (
        "Home visit with {cg} and {s} after the first fortnight at {near_school}. {s} has attended {n} of {m} days and says the buddy system helps. Agreed to keep fortnightly check-ins until the end of term.",
    )),
)
_FOLLOW_UPS_UNREACHED = (
    ("Home Visit", 40, (10, 20), (45, 75), (
        "Visited the last known address at {time}; no answer. A neighbour said the family moved out about a month ago. Left a card in the letterbox.",
        "Visited the last known address at {time}; new tenants have lived there since last month and do not know where the whānau went.",
        "Visited at {time}; no answer. Left a card asking {cg} to call, with the provider's mobile number.",
    )),
    ("Phone Call", 45, (5, 15), (10, 20), (
        "Called {cg}'s mobile: number not in service. Texted the second number the school holds; no reply yet.",
        "Phone call with {sc} ({sc_role}). School has had no contact from the whānau and no request for records from another school.",
        "Called {cg} again (no answer) and left a voicemail explaining who the provider is and why we would like to meet.",
    )),
    ("Other", 15, (10, 20), (15, 30), (
        "Checked ENROL: no new enrolment for {s}. The school's whānau liaison has no newer contact details.",
    )),
)
_UPCOMING_SHORT = (
    "Hui to review plan with {cg} and school.",
    "Confirmed by text with {cg}.",
    "Home visit booked; bring UBNF consent form.",
    "At school, 9.30 am, with {sc_first}.",
)
_UPCOMING_SUBJECTS = ("Home Visit", "Attendance Review Meeting", "Whānau Hui", "School Meeting", "Multi-Agency Meeting")

_COMMENTS_CA = (
    ("{s} has attended {n} of {m} days since the plan started. School reports {s} is arriving on time most mornings. Next review with whānau in two weeks.", True),
    ("Spoke with {cg} about the counselling referral. {CgRel} agreed and signed the consent form; referral sent to {agency} today.", False),
    ("School advised {s} has moved to a different form class at whānau request. Provider will check in with {s} next week to see how {s} is settling.", True),
    ("Update for school: whānau have arranged for {s}'s {w2_rel} to drive {them} on Mondays and Wednesdays. Please contact the provider if {s} is absent on those days.", True),
    ("Case discussed at team supervision. Agreed to continue weekly contact and to ask {agency} for an update on the referral.", False),
    ("{s} was unwell on Tuesday and Wednesday (medical certificate provided to the office). No concerns about these absences.", True),
    ("Whānau asked that contact be by text before 9 am or after 3 pm because of {cg}'s work hours. Contact record updated.", False),
    ("{s} told the provider {they} enjoyed the {subj_good} trip and would like to keep going to the lunchtime group. Passed on to {sc_first}.", True),
    ("Checked in with {sc_first} by email: no change to attendance this week. Will visit whānau on Monday.", False),
    ("Plan for the first week after the holidays: {cg} to drop {s} at the gate, {sc_first} to meet {them} at the office, provider to phone whānau on the Wednesday.", True),
)
_COMMENTS_NEN = (
    ("ENROL checked: no enrolment for {s} yet. Enrolment interview at {near_school} is being arranged.", False),
    ("Spoke with {cg} about uniform and stationery for {near_school}; UBNF request prepared.", False),
    ("Case discussed at team supervision. Agreed to keep weekly contact with {cg} until {s} has started at {near_school}.", False),
    ("Whānau asked that contact be by text before 9 am or after 3 pm because of {cg}'s work hours. Contact record updated.", False),
    ("Update for {school}: {s} has not been enrolled elsewhere yet; the provider is working with whānau on an enrolment at {near_school}.", True),
)
_COMMENTS_ENROLLED = (
    ("{s} is now on the roll at {near_school}. Provider will check in after the first two weeks.", False),
    ("{s} has attended {n} of {m} days since starting at {near_school}. Whānau and school both report a good start.", False),
    ("Spoke with {cg}: {s} is happy at {near_school} and has been going to the {subj_good} group at lunchtime.", False),
)
_COMMENTS_UNREACHED = (
    ("Still no contact with whānau after {n} attempts (visits, calls and texts). Will ask MSD for a newer address.", False),
    ("Asked {school} to let the provider know straight away if anyone asks for {s}'s records or if whānau get in touch.", True),
    ("Case discussed at team supervision. Agreed to keep trying different times of day for visits and to check ENROL weekly.", False),
)
# The guide asks for commentary when a meeting cannot happen in time.
_LATE_MEETING_COMMENT = (
    "Initial whānau meeting not yet held within the timeframe: three visits to the last known address with no answer, "
    "and texts to {cg} not returned. School has no other number. Info request sent to MSD; will try again after school on Thursday."
)
_NOT_CURRENT_COMMENT = "Phone number for {cg_full} is no longer in service and the address on file is out of date. Asked school for any newer details; contact marked as not current."
# Deliberately poor comments for the quality check (see GAPS).
_OPINIONATED = (
    "{CgRel} obviously doesn't care about school. Same old excuses again today.",
    "{s} is lazy and the family are hopeless, nothing is going to change here.",
)
_PAUSE_COMMENTS = {
    _R.AWAITING_INFORMATION.value: "Case paused while waiting for MSD to respond to the address request. Provider will resume contact as soon as an address is confirmed.",
    _R.OTHER.value: "Case paused: {s} is in hospital for planned surgery and will be away for about three weeks. {CgRel} will let us know the discharge date.",
    _R.NOT_LOCATED.value: "Case paused while we try to locate the whānau: no response at the last known address or by phone. Info requests sent to MSD and Immigration New Zealand.",
}
_CLOSE_COMMENTS = {
    _R.ENROLLED.value: "{s} enrolled at {near_school} on {dmy} and attended every day of the first week. Whānau agree the case can close; {near_school} has the plan and a key adult in place.",
    _R.HOME_EDUCATION.value: "Whānau have been granted an exemption for home education. Discussed with {cg} and confirmed with the Ministry; case closed.",
    _R.NOT_LOCATED.value: "No response to visits, calls or texts over six weeks; MSD and Immigration New Zealand hold no newer address. Case closed as not located after discussion with the team lead.",
    _R.LEFT_NZ.value: "{cg} confirmed by phone that the whānau have moved to Australia; Immigration New Zealand confirmed the departure. Case closed.",
    _R.TRANSFERRED.value: "Whānau have moved to {town}. Case transferred to the provider for that catchment after a handover call; they have the plan and contact details.",
    _R.AGED_OUT.value: "{s} has turned 16 and is no longer of compulsory school age. Supported {s} to make contact with a local youth employment programme. Case closed.",
    _R.OTHER.value: "Attendance has been above 90% for five weeks and the plan goals are met. Closing hui held with {cg}, {s} and {sc}; school will continue the morning check-in. Case closed.",
}
_TRANSITION_COMMENTS = {
    _CA: "Attendance has improved to {pct} over the last four weeks. Agreed with {cg} and {sc} to move to school-led support; final review booked in three weeks.",
    _NEN: "{s} started at {near_school} and has attended {pct} of days since. Agreed with {cg} and the school to move to school-led support; final check-in booked in three weeks.",
}

_TASKS_CA = (
    ("Follow up counselling referral", "Phone {agency} to check the referral was received and ask for an expected start date."),
    ("Request attendance history from school", "Ask {sc_first} for {s}'s attendance for this term and last term, with reasons recorded."),
    ("Book attendance review hui", "Find a time that suits {cg}, {sc_first} and {s}; {cg} prefers after 3 pm."),
    ("Confirm bus pass top-up with whānau", "Check the bus card has been topped up and that {s} has it."),
    ("Update Student Plan after review", "Add the new steps agreed at the review and share a copy with whānau and school."),
    ("Call {cg} re absences this week", "{s} was away Monday and Tuesday with no reason given to the school."),
    ("Upload signed plan to case", "Scan the signed plan and attach it to the case."),
    ("Drop off uniform items", "Deliver the jersey and shoes bought through UBNF; check sizes."),
    ("Check in with {sc_first} about lunchtimes", "Ask whether the quiet space at lunchtime is available and whether {s} has been using it."),
    ("Send hui notes to school", "Copy the agreed actions from the hui into a shared Case Comment for the school."),
)
_TASKS_ENROLLED = (
    ("Check first fortnight attendance", "Ask {near_school} for {s}'s attendance since starting."),
    ("Check in with {s} at {near_school}", "Short check-in at morning tea, as agreed with {cg}."),
    ("Update Student Plan after enrolment", "Mark the enrolment steps done and add the check-ins agreed with {near_school}."),
)
_TASKS_NEN = (
    ("Check ENROL for new enrolment", "Check whether {s} has been enrolled anywhere since {lastday}."),
    ("Order birth certificate copy", "Help {cg} order a copy of {s}'s birth certificate for the enrolment."),
    ("Apply for UBNF uniform support", "Uniform and stationery for {s}'s start at {near_school}."),
    ("Call {cg} about the enrolment interview", "Confirm the interview time at {near_school} and whether {cg} needs a lift."),
    ("Help whānau with enrolment forms", "Take the forms for {near_school} to the next home visit and help {cg} complete them."),
    ("Arrange enrolment interview", "Call {near_school} office to book an interview for {s} and {cg}."),
)
_TASKS_UNREACHED = (
    ("Send MSD info request", "Request a current address for {cg_full} through MSD."),
    ("Visit last known address again", "Try after 4 pm, when whānau may be home."),
    ("Check ENROL for new enrolment", "Check whether {s} has been enrolled anywhere since {lastday}."),
    ("Ask school for other contacts", "Ask {sc_first} whether the school holds any other whānau contacts for {s}."),
)
# (events, comments, tasks) for each way a case can be going.
_MODES = {
    "ca": (_FOLLOW_UPS_CA, _COMMENTS_CA, _TASKS_CA),
    "nen": (_FOLLOW_UPS_NEN, _COMMENTS_NEN, _TASKS_NEN),
    "enrolled": (_FOLLOW_UPS_ENROLLED, _COMMENTS_ENROLLED, _TASKS_ENROLLED),
    "unreached": (_FOLLOW_UPS_UNREACHED, _COMMENTS_UNREACHED, _TASKS_UNREACHED),
}

_PLAN_GOALS = (
    "{s} to attend at least 80% of school days by the end of Term {term}, with a settled morning routine and support for {barrier}.",
    "Rebuild {s}'s attendance through a gradual return: mornings only for two weeks, then full days. Whānau, school and provider to check in weekly.",
    "{s} feels safe and supported at school, attends every day unless unwell, and whānau let the school know by 8.45 am when {s} is away.",
)
_PLAN_GOALS_NEN = (
    "{s} enrolled and attending {near_school} by the end of Term {term}, with uniform, stationery and transport sorted.",
    "{s} back in education: enrolment at {near_school} or an approved alternative, with whānau supported through the enrolment process.",
)
_STEPS = (
    ("Set up a morning routine: alarm, uniform and bag ready the night before", "Whānau"),
    ("Text the school office by 8.45 am on any day {s} is away", "Whānau"),
    ("Go to the morning check-in with the dean each day", "Student"),
    ("Tell a trusted adult at school when feeling anxious", "Student"),
    ("Arrange teacher aide support in {subj}", "School"),
    ("Send a weekly attendance update to the provider", "School"),
    ("Provide a quiet space at lunchtime", "School"),
    ("Partial timetable for two weeks, then full days", "School"),
    ("Make a counselling referral and follow it up", "Provider"),
    ("Arrange a bus pass through UBNF", "Provider"),
    ("Review the plan with whānau and school in four weeks", "Provider"),
    ("Counselling sessions fortnightly", "Other agency"),
)
_STEPS_NEN = (
    ("Visit {near_school} together for an enrolment interview", "Whānau"),
    ("Find birth certificate and immunisation record", "Whānau"),
    ("Help complete enrolment forms", "Provider"),
    ("Confirm start date and a key adult for {s}", "School"),
)

# Services: kind, agency, reason, barrier categories it suits.
# Services: kind, agency, reason, barrier categories it suits, outcome while
# under way, outcome when completed.
_SERVICES = (
    ("NGO", "Kōtuku Youth Counselling", "Counselling for {s}: anxiety before school and low mood.", ("Anxiety / wellbeing",),
     "Sessions under way; {s} has been to the first two.", "Eight sessions completed; {s} says mornings feel easier."),
    ("Government agency", "Ministry of Social Development (Work and Income)", "Support for {cg} to apply for a hardship grant for uniform and school costs.", ("Financial hardship",),
     "Application lodged; Work and Income to confirm the grant.", "Hardship grant approved and uniform bought."),
    ("Government agency", "Kāinga Ora", "Support with the whānau's application for stable housing closer to school.", ("Housing",),
     "Application being assessed; whānau are on the priority list.", "Whānau offered a house closer to school and have moved in."),
    ("Community provider", "Te Pae Āwhina Whānau Trust", "Whānau support worker to help with morning routines and budgeting.", ("Family circumstances", "Financial hardship"),
     "Support worker visiting weekly.", "Support completed; whānau say it made a difference to mornings."),
    ("Community provider", "Harakeke Youth Mentoring", "Mentor for {s}: weekly sessions after school.", ("School relationships", "Other"),
     "Mentor matched; weekly sessions on Thursdays.", "Mentoring finished at the end of term; {s} keeps in touch with the mentor through school."),
    ("Government agency", "Public health nurse (Te Whatu Ora)", "Health check and follow-up for {s}'s ongoing health needs.", ("Health",),
     "Nurse has seen {s} at school; GP follow-up booked.", "Health plan in place and shared with school."),
    ("Multi-agency forum", "Kirikiriroa Attendance Multi-Agency Forum", "Case raised at the forum to coordinate support across agencies.", ("Housing", "Family circumstances"),
     "Case discussed; actions agreed for school and agencies.", "Forum actions completed."),
    ("Government agency", "Learning Support (Ministry of Education)", "Learning support assessment requested with the school.", ("Learning needs",),
     "Assessment booked for next month.", "Assessment done; teacher aide hours approved."),
)
_SERVICE_OT = ("Oranga Tamariki section 19 referral", "Oranga Tamariki", "Section 19 referral made with the enrolling school under the information-sharing protocol: ongoing chronic absence with care and protection concerns.", (),
               "Referral received; Oranga Tamariki is assessing.", "Oranga Tamariki completed an assessment and is working with the whānau.")
_SERVICE_STATUSES = ("Referred", "Accepted", "In progress", "Completed", "Declined", "Withdrawn")
_SERVICE_OUTCOMES = {
    "Referred": "",
    "Accepted": "Referral accepted; first appointment being arranged.",
    "Declined": "Whānau decided not to go ahead at this stage.",
    "Withdrawn": "Withdrawn: whānau are now getting this support elsewhere.",
}
_COUNSELLING = ("Kōtuku Youth Counselling", "Te Pae Āwhina Whānau Trust", "Harakeke Youth Mentoring")
_UBNF = (
    ("School uniform: jersey, shorts and shoes", (90, 180)),
    ("Bus pass top-up for the term", (40, 80)),
    ("Stationery pack and school bag", (35, 70)),
    ("Rain jacket and school shoes", (80, 140)),
    ("Taxi vouchers for the first week back", (60, 120)),
    ("Alarm clock and breakfast supplies for two weeks", (30, 60)),
)

_PAUSE_REASONS = (_R.AWAITING_INFORMATION.value, _R.OTHER.value, _R.NOT_LOCATED.value)
_CLOSE_REASONS_CA = (_R.OTHER.value, _R.TRANSFERRED.value, _R.ENROLLED.value, _R.AGED_OUT.value, _R.LEFT_NZ.value)
_CLOSE_WEIGHTS_CA = (45, 20, 15, 12, 8)
_CLOSE_REASONS_NEN = (_R.ENROLLED.value, _R.HOME_EDUCATION.value, _R.NOT_LOCATED.value, _R.LEFT_NZ.value, _R.TRANSFERRED.value)
_CLOSE_WEIGHTS_NEN = (50, 15, 15, 10, 10)

_AGE_WEIGHTS = {
    _CA: (2, 3, 4, 4, 5, 6, 7, 9, 11, 12, 11, 6),
    _NEN: (6, 5, 4, 3, 3, 3, 4, 5, 7, 8, 8, 5),
}
_MONTHS = ("", "January", "February", "March", "April", "May", "June", "July",
           "August", "September", "October", "November", "December")
_PRONOUNS = {"Female": ("she", "her", "her"), "Male": ("he", "him", "his"), "Gender diverse": ("they", "them", "their")}

# Salesforce key prefixes (standard objects) and made-up custom-object prefixes.
_PREFIX = {
    "case": "500", "contacts": "003", "events": "00U", "tasks": "00T", "comments": "00a",
    "barriers": "a0B", "plans": "a0C", "steps": "a0D", "services": "a0E", "ubnf": "a0F",
    "info_requests": "a0G", "status_history": "a0H", "files": "068",
}
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SF_CHECK = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_P5 = 62**5


def _base62(n: int, width: int) -> str:
    out = ""
    for _ in range(width):
        n, r = divmod(n, 62)
        out = _BASE62[r] + out
    return out


def _upper_flags(chunk: str) -> int:
    """Salesforce's 15-to-18 rule: bit i set when character i of a 5-character chunk is A-Z."""
    flags = 0
    for i, ch in enumerate(chunk):
        if "A" <= ch <= "Z":
            flags |= 1 << i
    return flags



class _Profile:
    """What is decided about a case before its records are written."""

    __slots__ = ("status", "reason", "case_type", "migrated", "referral", "age_bd", "gap",
                 "offline", "number", "target")

    def __init__(self, status, reason, case_type, migrated, referral, age_bd):
        self.status, self.reason, self.case_type = status, reason, case_type
        self.migrated, self.referral, self.age_bd = migrated, referral, age_bd
        self.gap: str | None = None
        self.offline = False
        self.number = ""
        self.target: int | None = None


class _Builder:
    def __init__(self, seed: int, today: date, activities_per_case: float | None):
        self.rng = random.Random(seed)
        self.today = today
        self.t = today.toordinal()
        self.apc = activities_per_case
        self._iso: dict[int, str] = {}
        self._offset: dict[int, str] = {}
        self._dm: dict[int, str] = {}
        self._sf_counter = {key: self.rng.randrange(62**7, 62**8) for key in _PREFIX}
        self._sf_head: dict[tuple[str, int], tuple[str, str]] = {}
        self._business_days()
        self.recent_from = self.add_bd(self.t - 1, 0)  # the last working day before today

    # --- calendar (business days as ordinals) ---------------------------------

    def _business_days(self) -> None:
        # The reporting calendar, as a sorted table of ordinals for fast bisecting.
        lo, hi = self.t - 400, self.t + 120
        self.bdays = [o for o in range(lo, hi + 1) if is_business_day(date.fromordinal(o))]

    def add_bd(self, o: int, n: int) -> int:
        """The n-th business day after ordinal o (o counts as day 0)."""
        return self.bdays[bisect_right(self.bdays, o) - 1 + n]

    def bd_between(self, a: int, b: int) -> int:
        return bisect_right(self.bdays, b) - bisect_right(self.bdays, a)

    def bd_in(self, a: int, b: int) -> list[int]:
        """Business days with ordinal in [a, b]."""
        return self.bdays[bisect_left(self.bdays, a):bisect_right(self.bdays, b)]

    # --- formatting -------------------------------------------------------------

    def iso(self, o: int) -> str:
        s = self._iso.get(o)
        if s is None:
            s = self._iso[o] = date.fromordinal(o).isoformat()
        return s

    def dt(self, o: int, minute: int) -> str:
        """NZ local date-time with its offset; daytime only, so DST changes at 2-3 am never matter."""
        off = self._offset.get(o)
        if off is None:
            d = date.fromordinal(o)
            off = datetime.combine(d, time(12), NZ).isoformat()[-6:]
            self._offset[o] = off
        return f"{self.iso(o)}T{minute // 60:02d}:{minute % 60:02d}:00{off}"

    def dm(self, o: int) -> str:
        s = self._dm.get(o)
        if s is None:
            d = date.fromordinal(o)
            s = self._dm[o] = f"{d.day} {_MONTHS[d.month]}"
        return s

    def uuid(self) -> str:
        n = self.rng.getrandbits(128)
        n = (n & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC000 << 48) | (0x8000 << 48)
        h = f"{n:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def sf_id(self, kind: str) -> str:
        """An 18-character Salesforce Id (with its case-safe suffix); sequential per object, as real ones are."""
        n = self._sf_counter[kind] = self._sf_counter[kind] + 1 + int(self.rng.random() * 40)
        high, low = divmod(n, _P5)
        head = self._sf_head.get((kind, high))
        if head is None:  # the first ten characters change rarely
            text = _PREFIX[kind] + "Nq" + _base62(high, 5)
            head = self._sf_head[kind, high] = (text, _SF_CHECK[_upper_flags(text[:5])] + _SF_CHECK[_upper_flags(text[5:])])
        tail = _base62(low, 5)
        return head[0] + tail + head[1] + _SF_CHECK[_upper_flags(tail)]

    def recorded(self, o: int, end_minute: int, *, late: bool = False) -> tuple[int, str]:
        """When an activity on day o ending at end_minute was entered: usually same or next working day."""
        rng = self.rng
        r = rng.random()
        if late:
            ro, rm = self.add_bd(o, rng.randint(6, 15)), rng.randint(8 * 60, 17 * 60)
        elif r < 0.06:
            ro, rm = self.add_bd(o, rng.randint(2, 12)), rng.randint(8 * 60, 17 * 60)
        elif r < 0.60 and end_minute < 17 * 60:
            ro, rm = o, min(end_minute + rng.randint(10, 150), 19 * 60)
        else:
            ro, rm = self.add_bd(o, 1), rng.randint(7 * 60 + 45, 11 * 60)
        if ro > self.t or (ro == self.t and rm > _NOW_MINUTE):
            start = end_minute if o == self.t else 8 * 60
            ro, rm = self.t, rng.randint(min(start, _NOW_MINUTE), _NOW_MINUTE)
        return ro, self.dt(ro, rm)

    def server_id(self, kind: str, recorded_o: int, case_offline: bool) -> str | None:
        # Not yet synced: most of what was entered in the last day, and the odd straggler.
        if case_offline:
            return None
        if recorded_o >= self.recent_from:
            if self.rng.random() < 0.6:
                return None
        elif self.rng.random() < 0.002:
            return None
        return self.sf_id(kind)

    # --- caseload shape ---------------------------------------------------------

    def profiles(self, n: int) -> list[_Profile]:
        rng = self.rng
        statuses = rng.choices((_PQ, _OPEN, _PAUSED, _TRANSITION, _CLOSED), (6, 60, 8, 8, 18), k=n)
        if n >= 5:  # every status, whatever the seed
            statuses[:5] = (_PQ, _OPEN, _PAUSED, _TRANSITION, _CLOSED)
            rng.shuffle(statuses)
        # Fixed proportions rather than coin flips, so every demo looks like a caseload.
        n_ca = round(n * 0.7) if n != 1 else 1
        types = [_CA] * n_ca + [_NEN] * (n - n_ca)
        rng.shuffle(types)
        opens = [i for i, s in enumerate(statuses) if s == _OPEN]
        rng.shuffle(opens)
        just_allocated = opens.pop() if n >= 10 and opens else -1  # a brand-new open case
        migrated = [False] * n
        if n >= 10:
            others = [i for i, s in enumerate(statuses) if s not in (_PQ, _OPEN)]
            wanted = round(n * 0.12)
            # Mostly still open, since reporting follows them up.
            picks = opens[: max(2, wanted - wanted // 3)] + rng.sample(others, min(len(others), wanted // 3))
            for i in picks:
                migrated[i] = True
        else:
            migrated = [rng.random() < 0.12 and s != _PQ for s in statuses]
        out = []
        t = self.t
        for i in range(n):
            status, case_type = statuses[i], types[i]
            if status == _PQ:
                referral = self.add_bd(t, -rng.randint(0, 3))
            elif migrated[i]:
                referral = self.add_bd(t, -rng.randint(65, 84))
            elif status == _OPEN:
                # A few just allocated, the rest spread over the last four months.
                if i == just_allocated:
                    back = rng.randint(1, 3)
                elif rng.random() < 0.15:
                    back = rng.randint(1, 5)
                else:
                    back = rng.randint(6, 84)
                referral = self.add_bd(t, -back)
            else:
                referral = self.add_bd(t, -rng.randint(28 if status != _PAUSED else 18, 84))
            if status == _PAUSED:
                reason = rng.choice(_PAUSE_REASONS)
            elif status == _CLOSED:
                if case_type == _CA:
                    reason = rng.choices(_CLOSE_REASONS_CA, _CLOSE_WEIGHTS_CA)[0]
                else:
                    reason = rng.choices(_CLOSE_REASONS_NEN, _CLOSE_WEIGHTS_NEN)[0]
            else:
                reason = None
            out.append(_Profile(status, reason, case_type, migrated[i], referral, self.bd_between(referral, t)))
        self._assign_gaps(out)
        # A case created in the field before AS-CMS knew of it: only a recent open one.
        recent = [p for p in out if p.status == _OPEN and p.age_bd <= 5 and not p.migrated]
        if recent and (n >= 20 or rng.random() < n / 20):
            for p in rng.sample(recent, max(1, min(len(recent), n // 500))):
                p.offline = True
        self._number(out)
        self._targets(out)
        return out

    def _assign_gaps(self, profiles: list[_Profile]) -> None:
        rng = self.rng
        active = (_OPEN, _PAUSED, _TRANSITION)

        def eligible(p: _Profile, gap: str) -> bool:
            if p.gap is not None:
                return False
            if gap == "migrated_no_owner":
                return p.migrated and p.status == _OPEN
            if gap == "today_no_time":
                return p.status in (_OPEN, _TRANSITION) and p.age_bd >= 3
            if gap == "contact_not_current":
                return p.status in active and p.age_bd >= 3
            if gap in ("draft_plan", "plan_without_steps"):
                return p.status == _OPEN and p.age_bd >= 16
            if gap == "opinionated_comment":
                return p.status in (_OPEN, _PAUSED) and p.age_bd >= 10
            # Meeting gaps and late recording need a whānau that was met.
            return p.status in active and p.age_bd >= 16 and p.reason != _R.NOT_LOCATED.value

        # One of each first (the demo must show every gap), then fill to about a quarter.
        order = list(GAPS)
        order.remove("migrated_no_owner")
        order.insert(0, "migrated_no_owner")  # the scarcest candidates go first
        for gap in order:
            candidates = [p for p in profiles if eligible(p, gap)]
            if candidates:
                rng.choice(candidates).gap = gap
        quota = round(len(profiles) * 0.25) - sum(p.gap is not None for p in profiles)
        weights = [1 if g == "opinionated_comment" else 4 for g in GAPS]
        for p in rng.sample(profiles, len(profiles)):
            if quota <= 0:
                break
            gap = rng.choices(GAPS, weights)[0]
            if eligible(p, gap):
                p.gap = gap
                quota -= 1

    def _number(self, profiles: list[_Profile]) -> None:
        # Older referrals have lower numbers; migrated cases came over with older ones.
        rng = self.rng
        migrated = sorted((p for p in profiles if p.migrated), key=lambda p: p.referral)
        current = sorted((p for p in profiles if not p.migrated), key=lambda p: p.referral)
        n = 200_000 + rng.randrange(20_000)
        for p in migrated:
            n += rng.randint(1, 60)
            p.number = f"{n:08d}"
        n = max(n, 300_000) + rng.randrange(10_000)
        for p in current:
            n += rng.randint(1, 30)
            p.number = f"{n:08d}"

    def _targets(self, profiles: list[_Profile]) -> None:
        if self.apc is None:
            return
        # Older cases have more history; weights keep the caseload mean at apc.
        weights = [8 + self._window_days(p) for p in profiles]
        mean = sum(weights) / len(weights)
        for p, w in zip(profiles, weights):
            p.target = round(self.apc * w / mean)

    def _window_days(self, p: _Profile) -> int:
        return max(0, self.t - p.referral)

    # --- one case -----------------------------------------------------------------

    def case(self, p: _Profile, carry: float) -> tuple[dict, int]:
        """Build one case dict; returns it with its child-record count."""
        rng = self.rng
        t = self.t
        R = p.referral
        ca = p.case_type == _CA
        offline = p.offline
        gap = p.gap
        ctx = self._context(p)

        out: dict[str, list] = {key: [] for key in LIST_KEYS}
        events, comments, tasks = out["events"], out["comments"], out["tasks"]

        def base(kind: str, ro: int, rec: str) -> dict:
            return {"id": self.uuid(), "server_id": self.server_id(kind, ro, offline), "recorded_at": rec}

        # Status history and the dates that shape everything else.
        alloc = R if p.status == _PQ else min(self.add_bd(R, rng.randint(0, 2)), self.add_bd(t, 0))
        school_k = rng.choices((2, 3, 4, 5, 6, 7, 8, 10, 12), (10, 18, 20, 20, 10, 8, 6, 5, 3))[0]
        whanau_k = rng.choices((3, 4, 5, 6, 7, 8, 9, 10, 12, 14), (5, 8, 10, 12, 14, 14, 12, 12, 8, 5))[0]
        if not ca:
            whanau_k += rng.randint(0, 3)  # finding a non-enrolled student's whānau takes longer
        if gap in ("missing_initial_meeting", "vague_whanau_meeting", "typo_whanau_subject", "late_recording"):
            school_k, whanau_k = min(school_k, 7), min(whanau_k, 9)  # the meeting must have happened
        school_o = self.add_bd(R, school_k)
        whanau_o = self.add_bd(R, max(whanau_k, school_k + rng.randint(0, 2)))
        end = t
        change_o = None
        if p.status in (_PAUSED, _CLOSED, _TRANSITION):
            lo = min(whanau_o + 10, t - 2)
            change_o = self.add_bd(rng.randint(lo, t - 1), 0)
            if p.status != _TRANSITION:
                end = change_o
        history = out["status_history"]

        last = [0, 0]

        def status_change(frm, to, reason, o, minute):
            if o == last[0]:  # two changes in one day happen in order
                minute = min(max(minute, last[1] + 20), 17 * 60)
            last[:] = o, minute
            ts = self.dt(o, minute)
            history.append({**base("status_history", o, ts), "from_status": frm, "to_status": to,
                            "reason": reason, "changed_at": ts})

        if offline:  # entered by the provider, so it never sat in the queue
            status_change(None, _OPEN, None, R, rng.randint(8 * 60 + 30, 15 * 60))
        else:
            status_change(None, _PQ, None, R, rng.randint(8 * 60 + 30, 15 * 60))
        if p.status != _PQ and not offline:
            status_change(_PQ, _OPEN, None, alloc, rng.randint(9 * 60, 16 * 60))
        if p.status == _TRANSITION:
            status_change(_OPEN, _TRANSITION, None, change_o, rng.randint(9 * 60, 16 * 60))
        elif p.status == _PAUSED:
            status_change(_OPEN, _PAUSED, p.reason, change_o, rng.randint(9 * 60, 16 * 60))
        elif p.status == _CLOSED:
            prior = _OPEN
            if rng.random() < 0.5 and p.reason in (_R.ENROLLED.value, _R.OTHER.value):
                mid = self.add_bd(change_o, -rng.randint(5, 10))
                if mid > whanau_o:
                    status_change(_OPEN, _TRANSITION, None, mid, rng.randint(9 * 60, 16 * 60))
                    prior = _TRANSITION
            status_change(prior, _CLOSED, p.reason, change_o, rng.randint(9 * 60, 16 * 60))

        # Contacts: whānau came with the referral; confirmed at the whānau meeting.
        met_whanau = whanau_o <= end and p.status != _PQ and p.reason != _R.NOT_LOCATED.value
        contacts = out["contacts"]
        cg_current = met_whanau and gap != "contact_not_current"
        ro, rec = self.recorded(alloc, 10 * 60)
        contacts.append({
            **base("contacts", ro, rec), "name": ctx["cg_full"], "role": "Parent / Caregiver",
            "phone": ctx["cg_phone"], "email": ctx["cg_email"], "address": ctx["address"],
            "preferred_contact_method": rng.choice(("Phone", "Text message", "Text message", "In person", "Email" if ctx["cg_email"] else "Phone")),
            "details_current": cg_current, "details_confirmed_on": self.iso(whanau_o) if cg_current else None,
        })
        ro, rec = self.recorded(R, 11 * 60)
        school_met = school_o <= end and p.status != _PQ
        contacts.append({
            **base("contacts", ro, rec), "name": ctx["sc"], "role": "School primary contact",
            "phone": f"07 8{rng.randint(10, 99)} {rng.randint(1000, 9999)}", "email": ctx["sc_email"],
            "address": None, "preferred_contact_method": "Email",
            "details_current": True, "details_confirmed_on": self.iso(school_o if school_met else R),
        })
        if met_whanau and rng.random() < 0.45:
            ro, rec = self.recorded(whanau_o, 16 * 60)
            contacts.append({
                **base("contacts", ro, rec), "name": ctx["w2_full"], "role": "Whānau member",
                "phone": self._phone(), "email": None, "address": None,
                "preferred_contact_method": "Phone", "details_current": True,
                "details_confirmed_on": self.iso(whanau_o),
            })
        if met_whanau and ctx["age"] >= 13 and rng.random() < 0.3:
            ro, rec = self.recorded(whanau_o, 16 * 60)
            contacts.append({
                **base("contacts", ro, rec), "name": ctx["S"], "role": "Student",
                "phone": self._phone(), "email": None, "address": None,
                "preferred_contact_method": "Text message", "details_current": True,
                "details_confirmed_on": self.iso(whanau_o),
            })

        # Initial meetings.
        def event(subject, o, start_min, minutes, spent, description, *, late=False, all_day=False):
            if all_day:
                ro, rec = self.recorded(o, 16 * 60, late=late)
                start = end_ = datetime.combine(date.fromordinal(o), time(0), NZ).isoformat()
            else:
                ro, rec = self.recorded(o, start_min + minutes, late=late)
                start, end_ = self.dt(o, start_min), self.dt(o, start_min + minutes)
            h, m = divmod(spent, 60)
            events.append({**base("events", ro, rec), "subject": subject, "all_day": all_day,
                           "start": start, "end": end_, "description": description,
                           "hours": h, "minutes": m})

        school_ends = 0
        if school_met:
            ctx["dmy"] = self.dm(school_o)
            pool = _SCHOOL_MEETING_CA if ca else _SCHOOL_MEETING_NEN
            text = rng.choice(pool).format_map(ctx)
            minutes = rng.choice((30, 45, 45, 60, 60))
            start_min = rng.choice((540, 570, 600, 660, 780, 810, 840))
            school_ends = start_min + minutes
            subject = INITIAL_SCHOOL_MEETING
            if gap == "missing_initial_meeting":
                subject = "School Meeting" if rng.random() < 0.5 else None
            if subject:
                event(subject, school_o, start_min, minutes,
                      minutes + rng.choice((20, 30, 40, 45)), text, late=p.migrated and rng.random() < 0.5)
        elif p.status == _OPEN and school_o <= t + 10 and rng.random() < 0.7:
            self._upcoming(events, INITIAL_SCHOOL_MEETING, school_o, ctx)

        if met_whanau:
            ctx["dmy"] = self.dm(whanau_o)
            pool = _WHANAU_MEETING_CA if ca else _WHANAU_MEETING_NEN
            text = rng.choice(pool).format_map(ctx)
            subject = INITIAL_WHANAU_MEETING
            if gap == "vague_whanau_meeting":
                text = VAGUE_DESCRIPTION
            elif gap == "typo_whanau_subject":
                subject = MISTYPED_WHANAU_SUBJECT
            minutes = rng.choice((45, 60, 60, 75, 90))
            late = gap == "late_recording" or (p.migrated and rng.random() < 0.5)
            start_min = rng.choice((570, 600, 660, 780, 840, 900))
            if whanau_o == school_o and start_min < school_ends + 30:
                start_min = min(school_ends + 30, 15 * 60 + 30)  # straight after the school meeting
            event(subject, whanau_o, start_min, minutes,
                  minutes + rng.choice((30, 40, 45, 60)), text, late=late)
        elif p.status == _OPEN and p.reason is None and whanau_o > t:
            if whanau_o <= t + 12 and rng.random() < 0.75:
                self._upcoming(events, INITIAL_WHANAU_MEETING, whanau_o, ctx)
        elif p.status in (_OPEN, _PAUSED) and self.bd_between(R, t) > 12:
            ro, rec = self.recorded(self.add_bd(R, 12), 15 * 60)
            comments.append({**base("comments", ro, rec),
                             "body": _LATE_MEETING_COMMENT.format_map(ctx), "shared_with_school": False})

        if gap == "contact_not_current":
            o = self.add_bd(max(school_o, R + 1), rng.randint(1, 5))
            if o < t:
                ro, rec = self.recorded(o, 12 * 60)
                comments.append({**base("comments", ro, rec), "body": _NOT_CURRENT_COMMENT.format_map(ctx),
                                 "shared_with_school": False})

        # Barriers, found at the meetings.
        barriers = out["barriers"]
        if school_met or met_whanau:
            found = min(school_o if school_met else whanau_o, whanau_o if met_whanau else school_o)
            for cat, desc in ctx["barriers"]:
                resolved = p.status == _CLOSED or (p.status == _TRANSITION and rng.random() < 0.6)
                ro, rec = self.recorded(found, 16 * 60)
                barriers.append({**base("barriers", ro, rec), "category": cat,
                                 "description": desc.format_map(ctx),
                                 "status": "Resolved" if resolved else "Active",
                                 "identified_on": self.iso(found)})

        # The plan, a few days after meeting whānau.
        plan_o = None
        if met_whanau and self.bd_between(R, t) >= 12:
            plan_o = min(self.add_bd(whanau_o, rng.randint(1, 6)), t)
            if change_o is not None and p.status != _TRANSITION:
                plan_o = min(plan_o, change_o)
            self._plan(out, p, ctx, plan_o, base)

        # Services, UBNF, info requests, files.
        if met_whanau and barriers and self.bd_between(whanau_o, end) >= 3:
            self._services(out, p, ctx, whanau_o, end, base)
        if p.reason in (_R.NOT_LOCATED.value, _R.LEFT_NZ.value) or (
            not met_whanau and p.status in (_OPEN, _PAUSED) and self.bd_between(R, t) > 12
        ):
            self._info_requests(out, p, ctx, max(school_o if school_met else alloc, alloc), end, base)
        elif not ca and met_whanau and school_met and self.bd_between(school_o, whanau_o) >= 2 and rng.random() < 0.5:
            self._info_requests(out, p, ctx, school_o, end, base, found_by=whanau_o)
        if plan_o is not None and (p.migrated or rng.random() < 0.2):
            self._file(out, p, ctx, plan_o, base)

        # Status commentary.
        if change_o is not None:
            ctx["dmy"] = self.dm(change_o)
            if p.status == _PAUSED:
                body = _PAUSE_COMMENTS[p.reason]
            elif p.status == _CLOSED:
                body = _CLOSE_COMMENTS[p.reason]
            else:
                ctx["pct"] = f"{rng.randint(82, 95)}%"
                body = _TRANSITION_COMMENTS[p.case_type]
            ro, rec = self.recorded(change_o, 15 * 60)
            comments.append({**base("comments", ro, rec), "body": body.format_map(ctx),
                             "shared_with_school": p.status != _PAUSED})

        if gap == "opinionated_comment":
            o = self.add_bd(t, -rng.randint(1, min(8, p.age_bd - 1)))
            ro, rec = self.recorded(o, rng.randint(9 * 60, 15 * 60))
            comments.append({**base("comments", ro, rec), "body": rng.choice(_OPINIONATED).format_map(ctx),
                             "shared_with_school": False})

        # Day-to-day work after the whānau meeting (or, until whānau are found, after the school meeting).
        if met_whanau:
            mode, first = ("ca" if ca else "nen"), whanau_o
        else:
            mode, first = "unreached", (school_o if school_met else t + 1)
        days = self.bd_in(first + 1, end) if first <= end else []
        segments = [(mode, days)]
        if mode == "nen" and len(days) > 6:
            # A non-enrolled student who starts school changes what the notes are about.
            if p.status in (_TRANSITION, _CLOSED) and p.reason in (None, _R.ENROLLED.value):
                enrol_o = self.add_bd(change_o, -rng.randint(2, 6))
            elif p.status == _OPEN and rng.random() < 0.4:
                enrol_o = days[rng.randint(len(days) // 3, len(days) - 1)]
            else:
                enrol_o = None
            if enrol_o is not None:
                cut = bisect_left(days, enrol_o)
                segments = [("nen", days[:cut]), ("enrolled", days[cut:])]
        core = sum(len(v) for v in out.values()) + sum(len(pl["steps"]) for pl in out["plans"])
        if p.target is not None:
            n_follow = max(0, round(p.target + carry) - core)
        else:
            n_follow = min(30, round(len(days) / 5 * rng.uniform(1.0, 1.8)))
        for seg_mode, seg_days in segments:
            share = round(n_follow * len(seg_days) / len(days)) if days else 0
            if seg_days and share:
                self._follow_ups(_MODES[seg_mode], ctx, seg_days, share, event, comments, tasks, base)
        mode = segments[-1][0]

        if gap == "today_no_time":
            # Entered today, time spent still to add.
            weekend = date.fromordinal(t).weekday() >= 5
            usual = [f for f in _MODES[mode][0] if f[0] in (("Phone Call", "Home Visit") if weekend else ("Phone Call", "Home Visit", "Student Check-in"))]
            subject, _, (lo, hi), _, pool = rng.choice(usual)
            minutes = rng.randint(lo, hi)
            start_min = rng.choice((540, 600, 660, 780, 840))
            ctx["dmy"], ctx["time"] = self.dm(t), _clock(start_min)
            ro, rec = t, self.dt(t, min(start_min + minutes + rng.randint(10, 60), _NOW_MINUTE))
            events.append({**base("events", ro, rec), "subject": subject, "all_day": False,
                           "start": self.dt(t, start_min), "end": self.dt(t, start_min + minutes),
                           "description": rng.choice(pool).format_map(ctx), "hours": 0, "minutes": 0})
        if p.status in (_OPEN, _TRANSITION) and met_whanau and rng.random() < 0.3:
            o = self.add_bd(t, rng.randint(1, 10))
            self._upcoming(events, rng.choice(_UPCOMING_SUBJECTS), o, ctx)

        events.sort(key=_by_start)
        for key in ("comments", "tasks"):
            out[key].sort(key=_by_recorded)

        owner = None if (p.status == _PQ or gap == "migrated_no_owner") else ctx["owner"]
        case = {
            "id": self.uuid(),
            "server_id": None if offline else self.sf_id("case"),
            "case_number": p.number,
            "case_type": p.case_type,
            "status": p.status,
            "status_reason": p.reason,
            "referral_date": self.iso(R),
            "migrated": p.migrated,
            "case_owner": owner,
            "catchment": ctx["catchment"],
            "student": ctx["student"],
            "school": ctx["school_dict"],
            **out,
        }
        return case, count_records(case)

    def _upcoming(self, events: list, subject: str, o: int, ctx: dict) -> None:
        """An Event created ahead of a meeting: no time spent yet, little or no description."""
        rng = self.rng
        if o <= self.t:
            return
        created = self.add_bd(self.t, -rng.randint(0, 3))
        text = "" if rng.random() < 0.5 else rng.choice(_UPCOMING_SHORT).format_map(ctx)
        start_min = rng.choice((540, 570, 600, 660, 780, 840))
        rm = rng.randint(8 * 60, _NOW_MINUTE)
        events.append({
            "id": self.uuid(), "server_id": self.server_id("events", created, ctx["offline"]),
            "recorded_at": self.dt(created, rm), "subject": subject, "all_day": False,
            "start": self.dt(o, start_min), "end": self.dt(o, start_min + 60),
            "description": text, "hours": 0, "minutes": 0,
        })

    def _plan(self, out, p: _Profile, ctx, plan_o: int, base) -> None:
        rng = self.rng
        gap = p.gap
        ca = p.case_type == _CA
        if p.status == _CLOSED:
            status = "Completed"
        elif gap == "draft_plan":
            status = "Draft"
        else:
            status = "In Progress"
        review = self.add_bd(plan_o, rng.choice((15, 20, 20, 25, 30, 40)))
        ctx["term"] = _term(date.fromordinal(review))
        ro, rec = self.recorded(plan_o, rng.randint(10 * 60, 16 * 60), late=p.migrated and rng.random() < 0.6)
        plan = {**base("plans", ro, rec),
                "goals": rng.choice(_PLAN_GOALS if ca else _PLAN_GOALS_NEN).format_map(ctx),
                "status": status, "review_date": self.iso(review), "steps": []}
        if gap != "plan_without_steps":
            pool = _STEPS if ca else _STEPS_NEN
            for action, who in rng.sample(pool, rng.randint(2, min(5, len(pool)))):
                due = self.add_bd(plan_o, rng.randint(3, 25))
                done = status == "Completed" or (due < self.t and rng.random() < 0.7)
                step = {**base("steps", ro, rec), "action": action.format_map(ctx),
                        "responsible": who, "due_date": self.iso(due), "done": done}
                if plan["server_id"] is None:  # a step reaches AS-CMS only with (or after) its plan
                    step["server_id"] = None
                plan["steps"].append(step)
        out["plans"].append(plan)

    def _services(self, out, p: _Profile, ctx, start: int, end: int, base) -> None:
        rng = self.rng
        cats = {b["category"]: b["id"] for b in out["barriers"]}
        options = [s for s in _SERVICES if set(s[3]) & cats.keys()]
        chosen = rng.sample(options, min(len(options), rng.choice((0, 1, 1, 2))))
        if p.case_type == _CA and rng.random() < 0.04:
            chosen.append(_SERVICE_OT)
        for kind, agency, reason, suits, under_way, completed in chosen:
            if agency in _COUNSELLING:
                ctx["agency"] = agency  # later notes mention the referral actually made
            o = rng.choice(self.bd_in(start + 1, end))
            age = self.bd_between(o, self.t)
            if age < 5:
                status = "Referred"
            else:
                status = rng.choices(_SERVICE_STATUSES, (10, 20, 35, 20, 10, 5))[0]
            outcome = under_way if status == "In progress" else completed if status == "Completed" else _SERVICE_OUTCOMES[status]
            follow = self.add_bd(o, rng.randint(5, 15)) if status in ("Referred", "Accepted", "In progress") else None
            barrier_id = next((cats[c] for c in suits if c in cats), None)
            ro, rec = self.recorded(o, rng.randint(10 * 60, 16 * 60))
            spent = rng.choice((20, 30, 45, 60, 90))
            out["services"].append({
                **base("services", ro, rec), "kind": kind, "agency": agency,
                "reason": reason.format_map(ctx), "referred_on": self.iso(o), "status": status,
                "outcome": outcome.format_map(ctx),
                "follow_up_on": self.iso(follow) if follow else None, "barrier_id": barrier_id,
                "hours": spent // 60, "minutes": spent % 60,
            })
        money = [b for b in out["barriers"] if b["category"] in ("Financial hardship", "Transport", "Housing")]
        if money and rng.random() < 0.6:
            provided, (lo, hi) = rng.choice(_UBNF)
            o = rng.choice(self.bd_in(start + 1, end))
            ro, rec = self.recorded(o, 15 * 60)
            out["ubnf"].append({**base("ubnf", ro, rec), "provided": provided,
                                "amount": f"{rng.randint(lo, hi)}.{rng.choice(('00', '50', '90', '95'))}",
                                "provided_on": self.iso(o), "barrier_id": rng.choice(money)["id"]})

    def _info_requests(self, out, p: _Profile, ctx, start: int, end: int, base, *, found_by: int | None = None) -> None:
        """MSD (and Immigration) address requests; ``found_by`` is the meeting an MSD answer made possible."""
        rng = self.rng
        days = self.bd_in(start, found_by - 1 if found_by else end)
        if not days:
            return
        left = p.reason == _R.LEFT_NZ.value
        agencies = ["MSD"]
        if left or p.reason == _R.NOT_LOCATED.value:
            agencies.append("Immigration New Zealand")
        for agency in agencies:
            o = rng.choice(days)
            answered = self.add_bd(o, rng.randint(2, 8))
            if found_by:
                answered = max(o, min(answered, days[-1]))
            if agency == "MSD":
                request = f"Current address and phone number for {ctx['cg_full']}, caregiver of {ctx['S']} (NSN {ctx['nsn']}). Whānau not at last known address."
                if found_by:
                    outcome = f"MSD gave a newer address in {ctx['suburb']}; home visit booked."
                else:
                    outcome = "MSD holds no newer address than the one on file."
            else:
                request = f"Has {ctx['S']} (date of birth {ctx['dob']}) left New Zealand?"
                outcome = f"Departure to Australia confirmed for {ctx['S']}." if left else "No record of departure."
            if answered > min(end, self.t):
                answered, outcome = None, ""
            ro, rec = self.recorded(o, 14 * 60)
            spent = rng.choice((15, 20, 30))
            out["info_requests"].append({
                **base("info_requests", ro, rec), "agency": agency, "requested_on": self.iso(o),
                "request": request, "outcome": outcome,
                "answered_on": self.iso(answered) if answered else None, "hours": 0, "minutes": spent,
            })

    def _file(self, out, p: _Profile, ctx, o: int, base) -> None:
        rng = self.rng
        if p.migrated:
            name, kind, desc = "Case summary from previous system.pdf", "application/pdf", "Case history and notes migrated from the previous system."
        elif rng.random() < 0.6:
            name, kind, desc = f"Student plan - {ctx['S']} - signed.pdf", "application/pdf", "Signed copy of the plan agreed with whānau and school."
        else:
            name, kind, desc = "Attendance history.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", f"Attendance history from {ctx['school']}."
        ro, rec = self.recorded(min(self.add_bd(o, rng.randint(0, 3)), self.t), 15 * 60)
        out["files"].append({**base("files", ro, rec), "file_name": name, "content_type": kind,
                             "size_bytes": rng.randint(40_000, 900_000), "description": desc,
                             "sha256": f"{rng.getrandbits(256):064x}"})

    def _follow_ups(self, pools, ctx, days, n, event, comments, tasks, base) -> None:
        rng = self.rng
        t = self.t
        follow_ups, comment_pool, task_pool = pools
        fu_weights = [f[1] for f in follow_ups]
        used: set = set()

        def pick(pool):
            # One second try keeps a case from repeating itself without slowing big runs.
            item = rng.choice(pool)
            if item in used:
                item = rng.choice(pool)
            used.add(item)
            return item

        for kind in rng.choices((0, 1, 2), (48, 26, 26), k=n):
            o = days[int(rng.random() * len(days))]
            if kind == 0:
                subject, _, (lo, hi), (slo, shi), pool = rng.choices(follow_ups, fu_weights)[0]
                ctx["dmy"] = self.dm(o)
                ctx["n"] = rng.randint(3, 9)
                ctx["m"] = rng.randint(ctx["n"], 10)
                ctx["pct"] = f"{rng.randint(55, 92)}%"
                ctx["pct0"] = f"{rng.randint(30, 54)}%"
                minutes = rng.randint(lo, hi)
                spent = max(rng.randint(slo, shi), minutes + 5)
                if rng.random() < 0.04:
                    spent = 0  # the odd event where time was never added
                start_min = rng.randrange(8 * 60 + 30, 15 * 60 + 31, 15)
                ctx["time"] = _clock(start_min)
                text = pick(pool)
                all_day = pool is _OTHER_CA and rng.random() < 0.15
                if all_day:
                    text = _ALL_DAY
                event(subject, o, start_min, minutes, spent, text.format_map(ctx), all_day=all_day)
            elif kind == 1:
                body, shared = pick(comment_pool)
                ctx["n"] = rng.randint(3, 9)
                ctx["m"] = rng.randint(ctx["n"], 10)
                ro, rec = self.recorded(o, rng.randint(9 * 60, 16 * 60))
                comments.append({**base("comments", ro, rec), "body": body.format_map(ctx),
                                 "shared_with_school": shared})
            else:
                subject, desc = pick(task_pool)
                due = self.add_bd(o, rng.randint(1, 10))
                if due <= t:
                    status = rng.choices(("Completed", "Not Started", "In Progress", "Waiting on someone else"), (80, 8, 7, 5))[0]
                else:
                    status = rng.choices(("Not Started", "In Progress", "Waiting on someone else", "Deferred"), (60, 25, 10, 5))[0]
                spent = rng.choice((10, 15, 20, 30, 45, 60)) if status == "Completed" or rng.random() < 0.3 else 0
                ro, rec = self.recorded(o, rng.randint(9 * 60, 16 * 60))
                tasks.append({**base("tasks", ro, rec), "subject": subject.format_map(ctx),
                              "due_date": self.iso(due), "status": status,
                              "priority": rng.choices(("High", "Normal", "Low"), (15, 75, 10))[0],
                              "description": desc.format_map(ctx), "hours": spent // 60, "minutes": spent % 60})

    # --- people -----------------------------------------------------------------

    def _phone(self) -> str:
        return f"02{self.rng.choice('1127')} 555 {self.rng.randint(1000, 9999):04d}"

    def _context(self, p: _Profile) -> dict[str, Any]:
        rng = self.rng
        t = self.today
        group = rng.choices(_GROUPS, _GROUP_WEIGHTS)[0]
        ethnicity, girls, boys, women, men, surnames, has_iwi = group
        r = rng.random()
        gender = "Female" if r < 0.48 else "Male" if r < 0.97 else "Gender diverse"
        first = rng.choice(girls if gender == "Female" else boys if gender == "Male" else girls + boys)
        last = rng.choice(surnames)
        known_as = _KNOWN_AS.get(first) if rng.random() < 0.7 else None
        if p.reason == _R.AGED_OUT.value:
            age = 16
        else:
            age = rng.choices(range(5, 17), _AGE_WEIGHTS[p.case_type])[0]
        hi = _years_before(t, age)
        lo = _years_before(t, age + 1) + timedelta(days=1)
        dob = date.fromordinal(rng.randint(lo.toordinal(), hi.toordinal()))
        year_level = max(0, min(13, t.year - dob.year - (4 if dob.month <= 6 else 5)))
        fits = [s for s in _SCHOOLS if s[2] <= max(year_level, 1) <= s[3]]
        school = rng.choice(fits)
        near = rng.choice([s for s in fits if s is not school] or fits)
        name, number, _, _, catchment, sc, sc_role, domain = school
        cg_rel, cg_female = rng.choices(
            (("mum", True), ("dad", False), ("nan", True), ("koro", False), ("aunty", True), ("stepdad", False), ("grandmother", True)),
            (50, 20, 10, 4 if has_iwi else 0, 7, 4, 0 if has_iwi else 5),
        )[0]
        cg_first = rng.choice(women if cg_female else men)
        cg_last = last if rng.random() < 0.75 else rng.choice(surnames)
        w2_rel = rng.choice(("nan", "aunty", "uncle", "older sister", "koro" if has_iwi else "grandfather"))
        w2_first = rng.choice(men if w2_rel in ("uncle", "koro", "grandfather") else women)
        they, them, their = _PRONOUNS[gender]
        cats = rng.choices(_BARRIER_CATEGORIES, _BARRIER_WEIGHTS, k=rng.choice((1, 2, 2, 3)))
        cats = list(dict.fromkeys(cats))
        chosen = [(c, rng.choice(_BARRIERS[c])) for c in cats]
        if len(chosen) > 1:
            second = chosen[1][1][0]
        else:
            other = rng.choice([c for c in _BARRIER_CATEGORIES if c != cats[0]])
            second = rng.choice(_BARRIERS[other])[0]
        display = known_as or first
        cg_email_user = f"{cg_first}.{cg_last}".lower().replace(" ", "")
        student = {
            "name": f"{first} {last}", "known_as": known_as,
            "nsn": str(rng.randint(100_000_000, 169_999_999)),
            "date_of_birth": dob.isoformat(), "gender": gender, "year_level": year_level,
            "ethnicity": ethnicity,
            "iwi": (rng.choice(_IWI) if rng.random() < 0.85 else None) if has_iwi else None,
        }
        ctx = {
            "s": display, "S": f"{first} {last}", "they": they, "They": they.capitalize(),
            "them": them, "their": their, "age": age, "nsn": student["nsn"], "dob": f"{dob.day}/{dob.month:02d}/{dob.year}",
            "cg": cg_first, "cg_full": f"{cg_first} {cg_last}", "cg_rel": cg_rel, "CgRel": cg_rel.capitalize(),
            "cg_phone": self._phone(),
            "cg_email": f"{_ascii(cg_email_user)}@example.co.nz" if rng.random() < 0.5 else None,
            "address": f"{rng.randint(1, 240)} {rng.choice(_STREETS)}, {rng.choice(_SUBURBS)}",
            "w2_rel": w2_rel, "w2_full": f"{w2_first} {rng.choice(surnames)}",
            "sc": sc, "sc_first": sc.split()[0], "sc_role": sc_role.lower(),
            "sc_colleague": "the deputy principal" if sc_role == "Attendance Lead" else "the attendance lead",
            "sc_email": f"{_ascii(sc.split()[0].lower())}.{_ascii(sc.split()[-1].lower())}@{domain}",
            "school": name, "near_school": near[0], "catchment": _CATCHMENTS[catchment],
            "barrier": chosen[0][1][0], "barrier2": second,
            "barriers": [(c, d[1]) for c, d in chosen],
            "subj": rng.choice(_SUBJECTS), "subj_good": rng.choice(_SUBJECTS_GOOD),
            "action": rng.choice(_SCHOOL_ACTIONS), "venue": rng.choice(_VENUES + (("the marae",) if has_iwi else ())),
            "hui_venue": "the marae" if has_iwi and rng.random() < 0.6 else "the whānau's home",
            "hui_open": " Opened with karakia." if has_iwi else "",
            "weeks": rng.choice(_WEEKS), "pct": f"{rng.randint(38, 72)}%", "pct0": "40%",
            "town": rng.choice(_TOWNS), "suburb": rng.choice(_SUBURBS),
            "lastday": self.dm(p.referral - rng.randint(25, 70)),
            "agency": rng.choice(("Kōtuku Youth Counselling", "Te Pae Āwhina Whānau Trust", "Harakeke Youth Mentoring")),
            "owner": rng.choices(_CASE_OWNERS, _CASE_OWNER_WEIGHTS)[0],
            "dmy": "", "next": "", "n": 0, "m": 0, "time": "", "term": 2,
            "offline": p.offline,
            "student": student,
            "school_dict": {"name": name, "number": number, "primary_contact": sc},
        }
        return ctx


def _by_start(e: dict) -> str:
    return e["start"]


def _by_recorded(r: dict) -> str:
    return r["recorded_at"]


def _clock(minute: int) -> str:
    """9.30 am, 2 pm: how the notes write times."""
    h, m = divmod(minute, 60)
    hour = h % 12 or 12
    return f"{hour}.{m:02d} {'am' if h < 12 else 'pm'}" if m else f"{hour} {'am' if h < 12 else 'pm'}"


def _years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def _term(d: date) -> int:
    """NZ school term a date falls in (roughly; the holidays count with the term before)."""
    if d.month < 4 or (d.month == 4 and d.day < 15):
        return 1
    return 2 if d.month < 7 else 3 if d.month < 10 else 4


_ASCII = str.maketrans("āēīōūĀĒĪŌŪ", "aeiouAEIOU")


def _ascii(text: str) -> str:
    return text.translate(_ASCII).replace("'", "")


def count_records(case: dict) -> int:
    """Child records in one case dict, plan steps included."""
    return sum(len(case[key]) for key in LIST_KEYS) + sum(len(p["steps"]) for p in case["plans"])


def iter_cases(
    cases: int = 40,
    *,
    seed: int = 2026,
    today: date | None = None,
    activities_per_case: float | None = None,
) -> Iterator[dict]:
    """Yield the cases of ``generate_caseload`` one at a time (same seed, same cases)."""
    if today is None:
        today = nz_today()
    builder = _Builder(seed, today, activities_per_case)
    carry = 0.0
    for profile in sorted(builder.profiles(cases), key=lambda p: p.number):
        case, n = builder.case(profile, carry if builder.t - profile.referral > 20 else 0.0)
        if profile.target is not None:
            carry += profile.target - n  # keep the caseload total close to the requested mean
        yield case


def generate_caseload(
    cases: int = 40,
    *,
    seed: int = 2026,
    today: date | None = None,
    activities_per_case: float | None = None,
) -> dict:
    """A demo caseload document ``{"format": "ascms-tui/1", "cases": [...]}``.

    Deterministic for a given ``seed`` and ``today`` (default: today in NZ).
    ``activities_per_case`` sets the mean number of child records per case;
    by default it follows each case's age, as a real caseload would.
    """
    return {
        "format": FORMAT,
        "cases": list(iter_cases(cases, seed=seed, today=today, activities_per_case=activities_per_case)),
    }


def write_caseload(
    path: str | Path,
    cases: int,
    *,
    seed: int = 2026,
    today: date | None = None,
    activities_per_case: float | None = None,
) -> dict:
    """Write a demo caseload to ``path`` as UTF-8 JSON; return ``{"cases": n, "records": n}``.

    Cases are streamed one at a time, so memory stays flat however many there are.
    Small files are indented for reading; large ones use compact separators.
    """
    pretty = cases <= 200
    encoder = json.JSONEncoder(ensure_ascii=False, indent=2 if pretty else None,
                               separators=(",", ": ") if pretty else (",", ":"))
    n_cases = n_records = 0
    with open(path, "w", encoding="utf-8", buffering=1 << 20) as f:
        f.write('{"format": "%s", "cases": [' % FORMAT if pretty else '{"format":"%s","cases":[' % FORMAT)
        for case in iter_cases(cases, seed=seed, today=today, activities_per_case=activities_per_case):
            if n_cases:
                f.write(",")
            f.write("\n" + encoder.encode(case) if pretty else encoder.encode(case))
            n_cases += 1
            n_records += count_records(case)
        f.write("\n]}\n" if pretty else "]}\n")
    return {"cases": n_cases, "records": n_records}


def ensure_demo_database(
    path: str | Path, *, reset: bool = False, cases: int = 40, seed: int = 2026, today: date | None = None
) -> Path:
    """Fill the demo database on first use (or with `reset`); the caseload is dated to today."""
    from .interchange import import_document
    from .store import Store

    path = Path(path)
    if reset:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    with Store(path) as store:
        if not store.cases():
            import_document(store, generate_caseload(cases, seed=seed, today=today), source="demo caseload")
    return path
