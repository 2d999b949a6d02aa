"""salesbook.team.duplicates on hand-made key tables: the same customer in two reps' books.

Each table is what one book's step returns (``book_keys``): e-mail and company + contact
already normalised, phones after the phone rule's first step (``phone_columns``, on the
worker), joined once over all books by ``cross_book``."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from salesbook.rules.period import parse_period
from salesbook.team.duplicates import cross_book, key_hash, phone_columns
from salesbook.team.partials import BookPartial, Plan
from salesbook.team.reduce import reduce
from salesbook.team.report import team_cleanse

COLS = ("row", "lead_id", "owner", "email", "person", "phone", "mobile")


def keys(*rows: tuple, region: str = "CN") -> pd.DataFrame:
    """Rows of (row, lead_id, owner, email, person, phone, mobile); None for a blank. E-mail and
    person are hashed, phones keyed, as ``book_keys`` sends them (the parsed phones' ends in
    ``attrs["ends"]``, for ``cross``)."""
    out = pd.DataFrame(list(rows), columns=list(COLS))
    for c in COLS[1:]:
        out[c] = out[c].astype(pd.StringDtype("pyarrow")) if c != "owner" else out[c].astype(object)
    out["email"], out["person"] = key_hash(out["email"]), key_hash(out["person"])
    out["phone"], out["mobile"], ends = phone_columns(out["phone"], out["mobile"], region)
    out["row"] = out["row"].astype("int64")
    out.attrs["ends"] = ends
    return out


def cross_book(frames: list[pd.DataFrame], books: list[str], region: str = "CN") -> pd.DataFrame:
    from salesbook.team.duplicates import cross_book as cross

    return cross(frames, books, region, [fr.attrs["ends"] for fr in frames])


def pairs(cross: pd.DataFrame) -> set[tuple]:
    return {(b, i, m, ob, oi) for b, i, m, ob, oi in
            zip(cross["book"], cross["lead_id"], cross["match"], cross["other_book"], cross["other_lead_id"])}


def test_a_duplicate_within_one_book_is_not_a_cross_book_duplicate():
    a = keys((2, "A-1", "Li Wei", "ann@acme.com", None, None, None),
             (3, "A-2", "Li Wei", "ann@acme.com", None, "13800138000", None),
             (4, "A-3", "Li Wei", None, "acme\x1fannlee", "138 0013 8000", None))
    b = keys((2, "B-1", "Bo", "bo@bolt.com", "bolt\x1fboma", "+86 139 0013 9000", None))
    assert cross_book([a, b], ["a.xlsx", "b.xlsx"]).empty


def test_two_books_sharing_an_email_name_each_other():
    a = keys((2, "A-1", "Li Wei", "ann@acme.com", None, None, None),
             (5, "A-2", "Li Wei", "cy@cask.com", None, None, None))
    b = keys((7, "B-1", "Bo", "ann@acme.com", None, None, None))
    cross = cross_book([a, b], ["a.xlsx", "b.xlsx"])
    assert pairs(cross) == {("a.xlsx", "A-1", "email", "b.xlsx", "B-1"), ("b.xlsx", "B-1", "email", "a.xlsx", "A-1")}
    at = cross.set_index("lead_id")
    assert (at.loc["A-1", "other_owner"], at.loc["A-1", "other_row"]) == ("Bo", 7)
    assert (at.loc["B-1", "other_owner"], at.loc["B-1", "row"]) == ("Li Wei", 7)


def test_a_phone_in_one_book_matches_a_mobile_in_another_however_it_is_written():
    a = keys((2, "A-1", "Li Wei", None, None, "138 0013 8000", None))
    b = keys((2, "B-1", "Bo", None, None, None, "+86 13800138000"))
    c = keys((2, "C-1", "Cao", None, None, "010 1234 5678", None))
    cross = cross_book([a, b, c], ["a.xlsx", "b.xlsx", "c.xlsx"])
    assert pairs(cross) == {("a.xlsx", "A-1", "phone", "b.xlsx", "B-1"), ("b.xlsx", "B-1", "phone", "a.xlsx", "A-1")}


def test_company_and_contact_match_and_every_lead_of_the_pair_names_the_first_of_the_other_book():
    # a.xlsx holds the person twice (its own stale rule's business); both point to b.xlsx's lead,
    # and b.xlsx's lead points to the first of them.
    a = keys((2, "A-1", "Li Wei", None, "acme\x1fannlee", None, None),
             (3, "A-2", "Li Wei", None, "acme\x1fannlee", None, None))
    b = keys((4, "B-1", "Bo", "other@mail.com", "acme\x1fannlee", None, None))
    cross = cross_book([a, b], ["a.xlsx", "b.xlsx"])
    assert pairs(cross) == {("a.xlsx", "A-1", "person", "b.xlsx", "B-1"), ("a.xlsx", "A-2", "person", "b.xlsx", "B-1"),
                            ("b.xlsx", "B-1", "person", "a.xlsx", "A-1")}


def test_an_email_match_wins_over_a_phone_match():
    a = keys((2, "A-1", "Li Wei", "x@y.com", None, "13800138000", None))
    b = keys((2, "B-1", "Bo", None, None, "13800138000", None), (3, "B-2", "Bo", "x@y.com", None, None, None))
    at = cross_book([a, b], ["a.xlsx", "b.xlsx"]).set_index("lead_id")
    assert (at.loc["A-1", "match"], at.loc["A-1", "other_lead_id"]) == ("email", "B-2")


def test_the_cleanse_sheet_says_also_in_both_ways():
    a = BookPartial("a.xlsx", keys=keys((2, "A-1", "Li Wei", "ann@acme.com", None, None, None)))
    b = BookPartial("b.xlsx", keys=keys((9, "", "Bo", "ann@acme.com", None, None, None)))  # no Lead ID: its row
    plan = Plan(settings=None, day=dt.date(2026, 11, 20), period=None, moves=parse_period("2026-11"))
    model = team_cleanse(reduce([a, b], plan))
    cross = model.blocks[1].frame.set_index("Workbook")
    assert cross.loc["a.xlsx", "Stale Reason"] == "also in Bo's book (row 9)"
    assert cross.loc["b.xlsx", "Stale Reason"] == "also in Li Wei's book (A-1)"
    fig = reduce([a, b], plan)
    fig.language = "zh"
    zh = team_cleanse(fig).blocks[1].frame
    said = dict(zip(zh.iloc[:, 0], zh.iloc[:, 5]))  # Workbook, Stale Reason (in Chinese)
    assert said == {"a.xlsx": "也在Bo的工作簿中（第 9 行）", "b.xlsx": "也在Li Wei的工作簿中（A-1）"}


# Pairs from the phone rule's own tests (tests/rules/test_keys_normalised.py), each number in a
# book of its own: written another way, an extension, a full-width or worded number, one
# phonenumbers cannot read, and numbers that only share digits.
PHONE_PAIRS = [("+86 10 1234 5678", "010-12345678"), ("0086 10 12345678", "(010) 1234 5678"),
               ("+86 (0)10 12345678", "010-12345678"), ("010-12345678 ext 12", "010-12345678"),
               ("+86 138 0013 8000", "13800138000"), ("138-0013-8000", "+86 138 0013 8000"),
               ("１３８００１３８０００", "138-0013-8000"), ("手机 138 0013 8000", "13800138000"),
               ("+999 1234567", "+999 1234567"), ("+999 1234567", "999 1234567"),
               ("010-12345678", "021-12345678"), ("+86 10 1234 5678", "+44 10 1234 5678"),
               ("13800138000", "13800138001"), ("12345", "12345")]


def test_phones_match_across_books_exactly_when_the_phone_rule_matches_them_in_one_book():
    from salesbook.rules.keys import _phone_keys

    import pyarrow as pa

    for x, y in PHONE_PAIRS:
        one = _phone_keys(pa.array([x, y], type=pa.large_string()))
        same = bool(one[0] >= 0 and one[0] == one[1])
        for phone_b, mobile_b in ((y, None), (None, y)):  # Phone or Mobile in the other book
            a = keys((2, "A-1", "Li Wei", None, None, x, None))
            b = keys((3, "B-1", "Bo", None, None, phone_b, mobile_b))
            got = pairs(cross_book([a, b], ["a.xlsx", "b.xlsx"]))
            want = {("a.xlsx", "A-1", "phone", "b.xlsx", "B-1"), ("b.xlsx", "B-1", "phone", "a.xlsx", "A-1")}
            assert got == (want if same else set()), (x, y, same)
    assert sum(1 for x, y in PHONE_PAIRS if len({*_phone_keys(pa.array([x, y])).tolist()} - {-1}) == 1) == 9
