"""Macrons: the toggle key's text edit, and hints for words typed without them."""

from __future__ import annotations

import pytest

from ascms_tui.macrons import (
    WORDS,
    add_macrons,
    describe_hints,
    missing_macrons,
    strip_macrons,
    toggle_before,
    toggle_macron,
)


@pytest.mark.parametrize(
    ("plain", "macron"),
    [("a", "ā"), ("e", "ē"), ("i", "ī"), ("o", "ō"), ("u", "ū"),
     ("A", "Ā"), ("E", "Ē"), ("I", "Ī"), ("O", "Ō"), ("U", "Ū")],
)
def test_every_vowel_toggles_both_ways(plain, macron):
    assert toggle_macron(plain) == macron
    assert toggle_macron(macron) == plain


def test_only_vowels_toggle():
    for char in "bkwhxyz1 .ñé":
        assert toggle_macron(char) is None


def test_toggle_before_cursor():
    assert toggle_before("whanau", 3) == ("whānau", 3)
    assert toggle_before("whānau", 3) == ("whanau", 3)  # pressed again: back
    assert toggle_before("Maori", 2) == ("Māori", 2)
    assert toggle_before("MAORI", 2) == ("MĀORI", 2)
    assert toggle_before("whanau", 0) is None  # nothing before the cursor
    assert toggle_before("whanau", 1) is None  # 'w' is not a vowel
    assert toggle_before("", 0) is None
    assert toggle_before("abc", 9) is None


def test_toggle_removes_a_combining_macron_from_pasted_text():
    decomposed = "wha\u0304nau"
    assert toggle_before(decomposed, 4) == ("whanau", 3)


def test_hints_for_common_words_without_macrons():
    text = "Met whanau and akonga at the Maori language unit; korero with kaumatua."
    hints = missing_macrons(text)
    assert [str(h) for h in hints] == [
        "whanau → whānau",
        "akonga → ākonga",
        "Maori → Māori",
        "korero → kōrero",
        "kaumatua → kaumātua",
    ]
    assert text[hints[0].start : hints[0].end] == "whanau"
    assert add_macrons(text) == "Met whānau and ākonga at the Māori language unit; kōrero with kaumātua."


def test_hints_keep_case():
    assert add_macrons("WHANAU Whanau whanau") == "WHĀNAU Whānau whānau"
    assert add_macrons("Te Reo Maori, Ngati Porou, Pakeha, hapu, tane, Tamaki") == (
        "Te Reo Māori, Ngāti Porou, Pākehā, hapū, tāne, Tāmaki"
    )


def test_only_whole_words_match():
    # whanaungatanga has no macron; "tane" inside "instantaneous" is not a word of its own.
    assert missing_macrons("whanaungatanga instantaneous Maoriland hapuku") == []
    assert missing_macrons("whānau Māori") == []  # already right
    assert add_macrons("whanau's hui") == "whānau's hui"


def test_words_correct_without_macrons_are_never_hinted():
    for word in ("wahine", "matua", "mahi", "kura", "tamariki", "hui", "iwi", "marae", "whaea", "Aotearoa"):
        assert word.lower() not in WORDS
        assert missing_macrons(word) == []


def test_every_listed_word_has_a_macron_and_its_plain_key():
    for plain, correct in WORDS.items():
        assert plain.isascii() and plain == plain.lower()
        assert not correct.isascii()
        assert strip_macrons(correct) == plain
        assert len(plain) == len(correct)  # fixing never shifts the text after it


def test_described_hints_name_each_word_once():
    hints = missing_macrons("whanau whanau Maori korero Pakeha hapu")
    assert describe_hints(hints, limit=3) == "whanau → whānau, Maori → Māori, korero → kōrero and 2 more"
    assert describe_hints([]) == ""


def test_strip_macrons():
    assert strip_macrons("Initial Student / Whānau Meeting") == "Initial Student / Whanau Meeting"
    assert strip_macrons("ĀĒĪŌŪ āēīōū") == "AEIOU aeiou"
