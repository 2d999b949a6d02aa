"""docs/spec.md §2 Targets, forecast and movement — the forecast on a small book computed by hand.

TODAY = 2026-11-18: buckets past due · 2026-11 · 2026-12 · 2027-01 · 2027-02 · 2027-03 · 2027-04 ·
later · no date.

 id   owner  stage              value  Close Date   Timeline     bucket     weighted
 F1   Ann    Proposal 55%       10000  2026-10-31                past due   5500
 F2   Ann    Negotiation 75%    20000               2026-11-02   2026-11    15000 (earlier this month)
 F3   Ann    Prospecting 5%      4000  2026-12-31                2026-12    200
 F4   Ann    Qualification 10%   1000               2027-01-01   2027-01    100   (Dec → Jan)
 F5   Ann    Initial Contact 20% 3000  2027-04-30                2027-04    600   (the sixth month)
 F6   Ann    Needs Assessment 35% 6000 2027-05-01                later      2100
 F7   Ann    Proposal 55%           –               3-6 months   no date    0
 F8   Ann    Closed Won          7000  2026-11-05                won in 2026-11
 F9   Ann    Closed Won          9000  2026-10-30                – (before this month)
 F10  Bob    Closed Lost         5000  2026-11-10                –
 F11  Bob    Negotiation 75%    12000  2026-11-30                2026-11    9000
 F12  Bob    Closed Won          3000  2026-12-01                won in 2026-12

 total        past due  2026-11          2026-12        2027-01  2027-04  later  no date
 best case    10000     32000            4000           1000     3000     6000   0
 weighted     5500      24000            200            100      600      2100   0
 open count   1         2                1              1        1        1      1
 won          0         7000 (1)         3000 (1)       0        0        0      0
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from salesbook.rules import forecast
from salesbook.rules.prepare import canonical_frame, prepare
from salesbook.rules.settings import Settings

from .conftest import TODAY, leads

BOOK = {
    "F1": {"Owner": "Ann", "Stage": "Proposal", "Deal Value": "10000", "Close Date": "2026-10-31"},
    "F2": {"Owner": "Ann", "Stage": "Negotiation", "Deal Value": "20000", "Timeline": "2026-11-02"},
    "F3": {"Owner": "Ann", "Stage": "Prospecting", "Deal Value": "4000", "Close Date": "2026-12-31"},
    "F4": {"Owner": "Ann", "Stage": "Qualification", "Deal Value": "1000", "Timeline": "2027-01-01"},
    "F5": {"Owner": "Ann", "Stage": "Initial Contact", "Deal Value": "3000", "Close Date": "2027-04-30"},
    "F6": {"Owner": "Ann", "Stage": "Needs Assessment", "Deal Value": "6000", "Close Date": "2027-05-01"},
    "F7": {"Owner": "Ann", "Stage": "Proposal", "Timeline": "3-6 months"},
    "F8": {"Owner": "Ann", "Stage": "Closed Won", "Deal Value": "7000", "Close Date": "2026-11-05"},
    "F9": {"Owner": "Ann", "Stage": "Closed Won", "Deal Value": "9000", "Close Date": "2026-10-30"},
    "F10": {"Owner": "Bob", "Stage": "Closed Lost", "Deal Value": "5000", "Close Date": "2026-11-10"},
    "F11": {"Owner": "Bob", "Stage": "Negotiation", "Deal Value": "12000", "Close Date": "2026-11-30"},
    "F12": {"Owner": "Bob", "Stage": "Closed Won", "Deal Value": "3000", "Close Date": "2026-12-01"},
}
BUCKETS = ["past due", "2026-11", "2026-12", "2027-01", "2027-02", "2027-03", "2027-04", "later", "no date"]


def prepared(rows: dict):
    raw, labels = canonical_frame(leads(*[{"Lead ID": i, **r} for i, r in rows.items()]))
    return prepare(raw, Settings(), labels)


def run(rows: dict = BOOK, today: dt.date = TODAY) -> tuple[pd.DataFrame, pd.DataFrame]:
    return forecast.finish(forecast.partial(prepared(rows), Settings(), today), today)


def column(t: pd.DataFrame, name: str, owner: str | None = None) -> list:
    if owner is not None:
        t = t[t["owner"] == owner]
    return [round(float(x), 6) for x in t[name]]


def test_buckets():
    assert forecast.buckets(TODAY) == BUCKETS
    assert forecast.buckets(dt.date(2026, 12, 15)) == ["past due", "2026-12", "2027-01", "2027-02", "2027-03",
                                                       "2027-04", "2027-05", "later", "no date"]
    assert forecast.buckets(dt.date(2026, 11, 30), months=2) == ["past due", "2026-11", "2026-12", "later", "no date"]


class TestByHand:
    def test_total(self):
        _, total = run()
        assert total["bucket"].tolist() == BUCKETS
        assert column(total, "best_case") == [10000, 32000, 4000, 1000, 0, 0, 3000, 6000, 0]
        assert column(total, "weighted") == [5500, 24000, 200, 100, 0, 0, 600, 2100, 0]
        assert column(total, "open_count") == [1, 2, 1, 1, 0, 0, 1, 1, 1]
        assert column(total, "won_value") == [0, 7000, 3000, 0, 0, 0, 0, 0, 0]
        assert column(total, "won_count") == [0, 1, 1, 0, 0, 0, 0, 0, 0]

    def test_per_owner(self):
        owners, _ = run()
        assert owners["owner"].unique().tolist() == ["Ann", "Bob"]
        assert owners[owners["owner"] == "Ann"]["bucket"].tolist() == BUCKETS
        assert column(owners, "best_case", "Ann") == [10000, 20000, 4000, 1000, 0, 0, 3000, 6000, 0]
        assert column(owners, "weighted", "Ann") == [5500, 15000, 200, 100, 0, 0, 600, 2100, 0]
        assert column(owners, "won_value", "Ann") == [0, 7000, 0, 0, 0, 0, 0, 0, 0]
        assert column(owners, "best_case", "Bob") == [0, 12000, 0, 0, 0, 0, 0, 0, 0]
        assert column(owners, "weighted", "Bob") == [0, 9000, 0, 0, 0, 0, 0, 0, 0]
        assert column(owners, "won_value", "Bob") == [0, 0, 3000, 0, 0, 0, 0, 0, 0]

    def test_the_total_is_the_sum_of_the_owners(self):
        owners, total = run()
        summed = owners.groupby("bucket", sort=False)[list(forecast.SUMS)].sum().reset_index()
        pd.testing.assert_frame_equal(summed, total, check_dtype=False)

    def test_december_into_january(self):
        today = dt.date(2026, 12, 15)
        owners, total = run({"J1": {"Owner": "Ann", "Stage": "Proposal", "Deal Value": "100", "Close Date": "2027-01-03"},
                             "J2": {"Owner": "Ann", "Stage": "Proposal", "Deal Value": "10", "Close Date": "2026-11-30"},
                             "J3": {"Owner": "Ann", "Stage": "Proposal", "Deal Value": "1", "Close Date": "2026-12-01"},
                             "J4": {"Owner": "Ann", "Stage": "Closed Won", "Deal Value": "7", "Close Date": "2027-01-01"}},
                            today)
        assert total["bucket"].tolist()[:3] == ["past due", "2026-12", "2027-01"]
        assert column(total, "best_case")[:3] == [10, 1, 100]
        assert column(total, "won_value")[:3] == [0, 0, 7]

    def test_leap_day(self):
        today = dt.date(2028, 2, 10)
        _, total = run({"P1": {"Owner": "Ann", "Stage": "Proposal", "Deal Value": "100", "Timeline": "2028-02-29"},
                        "P2": {"Owner": "Ann", "Stage": "Proposal", "Deal Value": "10", "Close Date": "2028-03-01"}},
                       today)
        assert total["bucket"].tolist()[1:3] == ["2028-02", "2028-03"]
        assert column(total, "best_case")[1:3] == [100, 10]

    def test_an_unreadable_date_is_no_date(self):
        _, total = run({"U1": {"Owner": "Ann", "Stage": "Proposal", "Deal Value": "5", "Close Date": "tbd",
                               "Timeline": "2026-11-20"}})
        assert column(total, "best_case") == [0] * 8 + [5]

    def test_an_empty_book(self):
        owners, total = run({})
        assert owners.empty and total["bucket"].tolist() == BUCKETS and total["best_case"].sum() == 0


class TestReduce:
    def test_two_books_equal_the_concatenated_leads(self):
        ids = list(BOOK)
        one = {i: BOOK[i] for i in ids[::2]}   # Ann and Bob in both books
        two = {i: BOOK[i] for i in ids[1::2]}
        parts = [forecast.partial(prepared(b), Settings(), TODAY) for b in (one, two)]
        assert set(parts[0]["owner"]) == set(parts[1]["owner"]) == {"Ann", "Bob"}
        plain = pd.concat(parts).groupby(list(forecast.KEYS)).sum().reset_index()
        got_owners, got_total = forecast.finish(plain, TODAY)
        want_owners, want_total = run()
        pd.testing.assert_frame_equal(got_owners, want_owners, check_dtype=False)
        pd.testing.assert_frame_equal(got_total, want_total, check_dtype=False)
        pd.testing.assert_frame_equal(forecast.finish(forecast.reduce(parts), TODAY)[1], want_total, check_dtype=False)

    def test_two_books_with_leads_in_the_same_buckets(self):
        """Every (owner, bucket) in both books: the reduce adds them, equal to one book of both."""
        copy = {f"X{i}": r for i, r in BOOK.items()}
        parts = [forecast.partial(prepared(b), Settings(), TODAY) for b in (BOOK, copy)]
        owners, total = forecast.finish(forecast.reduce(parts), TODAY)
        want_owners, want_total = run({**BOOK, **copy})
        pd.testing.assert_frame_equal(owners, want_owners, check_dtype=False)
        pd.testing.assert_frame_equal(total, want_total, check_dtype=False)
        assert column(total, "best_case") == [20000, 64000, 8000, 2000, 0, 0, 6000, 12000, 0]

    def test_partial_columns_are_additive_only(self):
        assert list(forecast.partial(prepared(BOOK), Settings(), TODAY).columns) == list(forecast.KEYS + forecast.SUMS)


def test_vectorised_on_a_big_table():
    """100,000 leads: the same figures as a plain pandas query per bucket."""
    rng = np.random.default_rng(5)
    n = 100_000
    days = pd.Timestamp("2026-06-01") + pd.to_timedelta(rng.integers(0, 500, n), unit="D")
    frame = pd.DataFrame({"Lead ID": [f"L{i}" for i in range(n)], "Company": [f"C{i}" for i in range(n)],
                          "Owner": rng.choice(np.array(["Ann", "Bob"], dtype=object), n),
                          "Stage": rng.choice(np.array(["Proposal", "Closed Won"], dtype=object), n),
                          "Created": "2026-01-01", "Deal Value": rng.integers(0, 1000, n).astype(float),
                          "Close Date": days.strftime("%Y-%m-%d")})
    raw, labels = canonical_frame(frame)
    owners, total = forecast.finish(forecast.partial(prepare(raw, Settings(), labels), Settings(), TODAY), TODAY)
    month = days.strftime("%Y-%m")
    is_open = (frame["Stage"] == "Proposal").to_numpy()
    for b in BUCKETS[1:7]:
        mine = (month == b)
        assert total.loc[total["bucket"] == b, "best_case"].item() == frame["Deal Value"][mine & is_open].sum()
        assert total.loc[total["bucket"] == b, "won_value"].item() == frame["Deal Value"][mine & ~is_open].sum()
    assert total.loc[total["bucket"] == "past due", "best_case"].item() == \
        frame["Deal Value"][(days < "2026-11-01") & is_open].sum()
    assert total.loc[total["bucket"] == "later", "best_case"].item() == \
        frame["Deal Value"][(days >= "2027-05-01") & is_open].sum()
