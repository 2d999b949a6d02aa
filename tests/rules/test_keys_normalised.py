"""Duplicate keys (docs/spec.md §2 Stale rule 5): phones as phonenumbers reads them (with the
Default phone region), Mobile as a second phone, company + contact without case,
punctuation or legal form. The vectorised builders against plain per-value definitions."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from salesbook.rules import keys as prep
from salesbook.rules.keys import _phone_keys, _phone_reference, name_codes
from salesbook.rules.schema import duplicate_headers, match_header
from salesbook.rules.settings import Settings

from .conftest import out, run


def keys(values, region="CN"):
    return _phone_keys(pa.array(values, type=pa.large_string()), region).tolist()


def same(values, region="CN") -> bool:
    k = keys(values, region)
    return k[0] >= 0 and len(set(k)) == 1


# ---- phones ------------------------------------------------------------------------------

def test_phonenumbers_decides_which_numbers_are_the_same():
    # Beijing landline written five ways, in the default region CN.
    assert same(["+86 10 1234 5678", "010-12345678", "0086 10 12345678", "(010) 1234 5678", "+86 (0)10 12345678"])
    # An extension is not part of the number; a CN mobile with or without +86.
    assert same(["010-12345678 ext 12", "010-12345678"])
    assert same(["+86 138 0013 8000", "138-0013-8000", "13800138000"])
    # A different number, and one that only shares the last digits, are different.
    assert not same(["010-12345678", "021-12345678"])
    assert not same(["+86 10 1234 5678", "+44 10 1234 5678"])


def test_the_default_region_reads_numbers_without_a_country_code():
    us = ["+1 505-796-3786", "(505) 796-3786", "505.796.3786"]
    assert same(us, "US")
    assert not same(us[:2], "CN")  # in China, (505) 796-3786 is not an American number
    assert same(["+44 20 7946 0958", "020 7946 0958"], "GB")
    assert not same(["+44 20 7946 0958", "020 7946 0958"], "CN")


def test_a_number_phonenumbers_cannot_read_is_compared_by_its_last_11_digits():
    k = keys(["+999 1234567", "+999 1234567", "999 1234567", "12345", ""])
    assert k[0] == k[1] >= 0       # an unknown country code: the same text is the same number
    assert k[2] != k[0]            # without the '+', phonenumbers reads 999 1234567 as a number in China
    assert k[3] == -1 and k[4] == -1  # fewer than 7 digits: no key


def test_full_width_digits_and_text_around_the_number_go_through_phonenumbers():
    assert same(["１３８００１３８０００", "手机 138 0013 8000", "138-0013-8000"])


# Texts built from the pieces phone cells are made of: the fast path (digits and separators
# only) must agree with phonenumbers on every one of them.
PIECES = st.sampled_from(["+", "00", "0", "86", "1", "44", "10", "138", "0013", "8000", "1234", "5678", "505",
                          "796", "3786", "12593", " ", "-", ".", "(", ")", "/", "ext 2", "x", "７", "#"])
PHONE = st.lists(PIECES, min_size=1, max_size=9).map("".join).map(str.strip)


def _reference_equal(values, region):
    ref = [_phone_reference(v, region) if v.strip() else None for v in values]
    return [[ref[i] is not None and ref[i][0] == (ref[j][0] if ref[j] else None) for j in range(len(values))]
            for i in range(len(values))], ref


@pytest.mark.slow  # (over 0.6 s: the quick loop stays under 90 s)
@hsettings(max_examples=300, deadline=None)
@given(st.lists(PHONE, min_size=1, max_size=12), st.sampled_from(["CN", "US", "GB", "DE"]))
def test_phone_keys_equal_exactly_when_phonenumbers_says_the_same_number(values, region):
    k = keys(values, region)
    equal, ref = _reference_equal(values, region)
    assert [x < 0 for x in k] == [r is None for r in ref], values
    for i in range(len(values)):
        for j in range(len(values)):
            if ref[i] is not None and ref[j] is not None:
                assert (k[i] == k[j]) == equal[i][j], (values[i], values[j], ref[i], ref[j])


@pytest.mark.slow
@hsettings(max_examples=200, deadline=None)
@given(st.lists(PHONE, max_size=8), st.lists(PHONE, max_size=8), st.sampled_from(["CN", "US", "GB", "DE"]))
def test_phone_parts_of_two_tables_joined_give_the_keys_of_one_table(a, b, region):
    """A rollup keys each book's phones on its worker (``phone_parts``) and joins them in the
    client (``phone_join``): the same keys as one ``_phone_keys`` call over all the numbers."""
    ka, ea = prep.phone_parts(pa.array(a, type=pa.large_string()), region)
    kb, eb = prep.phone_parts(pa.array(b, type=pa.large_string()), region)
    joined = prep.phone_join(np.concatenate([ka, kb]), np.unique(np.concatenate([ea, eb])), region)
    assert joined.tolist() == keys(a + b, region), (a, b)


def strip_bounds(texts: list[str], region: str) -> np.ndarray:
    digits = [re.sub(r"[^0-9]", "", t) for t in texts]
    return prep._strip_bounds(digits, np.array([t.startswith("+") for t in texts]), region)


PLAIN = re.compile(r"^\+?[0-9 ()./-]+$")


@pytest.mark.slow
def test_strip_bounds_cover_what_phonenumbers_removes_in_every_format_and_region():
    """The fast path's premise: phonenumbers removes at most ``_strip_bounds`` digits from the
    front of a plain phone, so the same number written two ways ends in the same digits.
    Checked on phonenumbers' example numbers of every region and type, written nationally,
    internationally, E.164 and dialled from abroad, read in several default regions."""
    F, T = phonenumbers.PhoneNumberFormat, phonenumbers.PhoneNumberType
    checked = 0
    for home in ("CN", "US", "GB", "DE", "AR", "BR", "IT", "AU", "JP"):
        texts = set()
        for r in sorted(phonenumbers.SUPPORTED_REGIONS):
            for t in (T.FIXED_LINE, T.MOBILE, T.TOLL_FREE, T.VOIP):
                ex = phonenumbers.example_number_for_type(r, t)
                if ex is not None:
                    texts |= {phonenumbers.format_number(ex, F.NATIONAL), phonenumbers.format_number(ex, F.E164),
                              phonenumbers.format_number(ex, F.INTERNATIONAL),
                              phonenumbers.format_out_of_country_calling_number(ex, home)}
        texts = sorted(t for t in texts if PLAIN.match(t) and 7 <= len(re.sub(r"[^0-9]", "", t)) <= 17)
        bound = strip_bounds(texts, home)
        for text, b in zip(texts, bound):
            ref = _phone_reference(text, home)
            if ref is not None and not ref[0].startswith("#"):
                removed = len(re.sub(r"[^0-9]", "", text)) - len(ref[1])
                assert 0 <= removed <= b, (home, text, ref, b)
                checked += 1
    assert checked > 10000


def test_strip_bounds_are_tight_for_common_numbers():
    # Nothing comes off a Chinese mobile, a 0 off a landline, +86 off a mobile, +86 and a 0 off a landline.
    assert strip_bounds(["138 0013 8000", "010-12345678", "+86 138 0013 8000", "+86 010 1234 5678"],
                        "CN").tolist() == [0, 1, 2, 3]
    assert strip_bounds(["(505) 796-3786", "+1 505 796 3786", "+1 1 505 796 3786"], "US").tolist() == [0, 1, 2]


def test_distinct_plain_phones_are_never_parsed_one_by_one(monkeypatch):
    """100,000 different numbers: phonenumbers only sees those sharing their last 7 digits
    with another differently written number (here 2), never all of them."""
    calls = []
    real = prep._phone_reference
    monkeypatch.setattr(prep, "_phone_reference", lambda t, r="CN": calls.append(t) or real(t, r))
    numbers = [f"+1 {200 + i // 10**7 % 800:03d}-{i % 10**7 // 10**4:03d}-{i % 10**4:04d}" for i in
               range(10**7 + 1, 10**7 + 100_001)]
    numbers[5] = "(201) 000-0005"  # numbers[4] (+1 201-000-0005) written differently
    k = _phone_keys(pa.array(numbers, type=pa.large_string()), "US")
    assert len(calls) == 2
    assert k[4] == k[5] and len(set(k.tolist())) == 100_000 - 1


# ---- Mobile, a second phone column ---------------------------------------------------------

def test_mobile_is_its_own_column_with_its_aliases():
    for header in ("Mobile", "Mobile Phone", "Cell", "手机", "手机号", "mobile number"):
        assert match_header(header) == "mobile", header
    for header in ("Phone", "Tel", "电话", "Phone Number"):
        assert match_header(header) == "phone", header
    assert duplicate_headers(["Lead ID", "Phone", "Mobile", "手机号"]) == [("mobile", [2, 3])]
    assert duplicate_headers(["Phone", "Mobile"]) == []


def test_a_mobile_number_matches_a_phone_on_another_row_either_way_round():
    ev = run({"Phone": "010-12345678"}, {"Mobile": "+86 10 1234 5678"}, {"Phone": "021-5555 6666", "Mobile": "139 1111 2222"},
             {"Mobile": "+86 21 5555 6666"}, {"Phone": "+86 139-1111-2222"}, {"Phone": "021-7777 8888"}, only="stale")
    reasons = [out(ev, i)["stale_reason"] for i in range(6)]
    assert reasons == [None, "duplicate of L-001", None, "duplicate of L-003", "duplicate of L-003", None]


def test_the_default_phone_region_setting_is_used():
    rows = ({"Phone": "(505) 796-3786"}, {"Phone": "+1 505 796 3786"})
    assert out(run(*rows, only="stale"), 1)["stale_reason"] is None
    assert out(run(*rows, settings=Settings(phone_region="US"), only="stale"), 1)["stale_reason"] == "duplicate of L-001"


# ---- company + contact -----------------------------------------------------------------------

LEGAL = {"ltd", "limited", "inc", "incorporated", "corp", "corporation", "co", "company", "llc", "l l c", "llp",
         "plc", "gmbh", "mbh", "ag", "kg", "sa", "s a", "sas", "s a s", "sarl", "srl", "s r l", "spa", "s p a", "bv",
         "b v", "nv", "n v", "oy", "ab", "pty", "pte", "kk", "k k", "group"}
LEGAL_ZH = ("股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "股份公司", "集团公司", "集团", "公司")


def company_reference(name: str | None) -> str | None:
    """The rule, one name at a time: NFKC, lower case, punctuation as spaces, then legal forms
    off the end (a word, or a Chinese form with or without a space), longest first, as long
    as one is there; spaces out. A name that is nothing but a legal form keeps it."""
    if name is None:
        return None
    s = " ".join(re.sub(r"[^\w]|_", " ", unicodedata.normalize("NFKC", name).lower()).split())
    plain = s.replace(" ", "")
    while True:
        latin = next((f for f in sorted(LEGAL, key=len, reverse=True) if s.endswith(" " + f)), None)
        if latin:
            s = s[:-len(latin) - 1]
            continue
        zh = next((z for z in LEGAL_ZH if s.endswith(z)), None)
        if zh:
            s = s[:-len(zh)].rstrip()
            continue
        return s.replace(" ", "") or plain


def test_company_names_ignore_case_punctuation_and_legal_forms():
    names = ["ACME, Inc.", "Acme Corp", "acme", "Acme Co., Ltd.", "Acme GmbH", "ACME S.A.", "Acme Limited",
             "Acme Holdings", "华为技术有限公司", "华为技术", "华为技术股份有限公司", "海尔集团", "海尔", "Limited", "limited."]
    c = name_codes(pd.Series(names, dtype="string[pyarrow]"), legal=True).tolist()
    assert len({c[i] for i in range(7)}) == 1          # every Acme with a legal form is Acme
    assert c[7] != c[0]                                  # Holdings is part of the name
    assert c[8] == c[9] == c[10] and c[11] == c[12]
    assert c[13] == c[14] != c[0]                        # a name that is only a legal form keeps it


NAME_PIECES = st.sampled_from(["Acme", "acme", "ACME", "Blue", "River", " ", ", ", ".", "-", "&", "Inc.", "Ltd",
                               "Co.", "Corp", "S.A.", "GmbH", "Group", "华为", "有限公司", "集团", "公司", "Ａｃｍｅ"])
NAME = st.lists(NAME_PIECES, min_size=1, max_size=6).map("".join)


@pytest.mark.slow
@hsettings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), NAME), max_size=15))
def test_company_codes_equal_exactly_when_the_reference_names_are_equal(values):
    got = name_codes(pd.Series(values, dtype="string[pyarrow]"), legal=True)
    ref = [company_reference(v) for v in values]
    assert [g < 0 for g in got] == [r is None for r in ref]
    for i in range(len(values)):
        for j in range(len(values)):
            if ref[i] is not None and ref[j] is not None:
                assert (got[i] == got[j]) == (ref[i] == ref[j]), (values[i], values[j], ref[i], ref[j])


def test_company_and_contact_duplicates_through_the_rules():
    ev = run({"Company": "Acme Co., Ltd.", "Contact": "Ann Lee"}, {"Company": "ACME Inc", "Contact": "ann  lee"},
             {"Company": "Acme Holdings", "Contact": "Ann Lee"}, {"Company": "北京华为技术有限公司", "Contact": "张伟"},
             {"Company": "北京华为技术", "Contact": "张 伟"}, only="stale")
    reasons = [out(ev, i)["stale_reason"] for i in range(5)]
    assert reasons == [None, "duplicate of L-001", None, None, "duplicate of L-004"]


@pytest.mark.parametrize("region", ["CN", "US"])
def test_blank_and_short_phones_have_no_key(region):
    assert keys([None, "", "  ", "123", "12-34-56"], region) == [-1] * 5
    assert np.all(np.array(keys(["1234567"], region)) >= 0)


@pytest.mark.parametrize("cell, want", [("US", "US"), ("gb", "GB"), ("+1", "US"), ("86", "CN"), ("CN", "CN"),
                                        (44.0, "GB"), (None, "CN")])
def test_the_default_phone_region_is_read_from_settings(cell, want):
    from salesbook.rules.settings_sheet import settings_from_grid

    from .test_settings import grid, set_cell
    assert settings_from_grid(set_cell(grid(), "Default phone region", 1, cell)).phone_region == want
    assert settings_from_grid([["常规"], ["设置", "值"], ["默认电话区号", "+44"]]).phone_region == "GB"


@pytest.mark.parametrize("value", ["XX", "+999", "China"])
def test_an_unknown_phone_region_names_the_settings_cell(value):
    from salesbook.rules.settings_sheet import SettingsError, settings_from_grid

    from .test_settings import grid, set_cell
    rows = set_cell(grid(), "Default phone region", 1, value)
    row = next(i for i, r in enumerate(rows) if r and str(r[0]).startswith("Default phone region")) + 1
    with pytest.raises(SettingsError) as e:
        settings_from_grid(rows)
    assert str(e.value).startswith(f"Settings sheet 'Settings', cell B{row}: {value!r} is not a phone region")


def test_company_and_contact_folded_in_one_pass_give_the_codes_and_keys_of_each_alone():
    """``person_codes`` / ``person_keys`` fold Company (legal form off) and Contact in one
    Arrow pass: the same codes as ``name_codes`` on each column, and keys equal exactly
    where the codes are."""
    from salesbook.rules.keys import person_codes, person_keys

    company = pd.Series(["ACME, Inc.", "Acme Corp", None, "华为技术有限公司", "华为技术", "Ltd", "Beta GmbH", "ltd."],
                        dtype="string[pyarrow]")
    contact = pd.Series(["Li  Wei", "li wei", "Ann-Marie", None, "Ｌｉ Ｗｅｉ", "Wang Co", "Wang", "Ann Marie"],
                        dtype="string[pyarrow]")
    firms, people = person_codes(company, contact)
    assert firms.tolist() == name_codes(company, legal=True).tolist()
    assert people.tolist() == name_codes(contact).tolist()
    assert people[5] != people[6]  # a Contact keeps what would be a company's legal form
    assert firms[0] == firms[1] and firms[3] == firms[4] and firms[2] == -1 and people[3] == -1
    firm_keys, person_texts = person_keys(company, contact)
    for codes, keys in ((firms, firm_keys.to_pylist()), (people, person_texts.to_pylist())):
        for i in range(len(codes)):
            assert (keys[i] is None) == (codes[i] < 0)
            for j in range(len(codes)):
                assert (codes[i] == codes[j]) == (keys[i] == keys[j])
    empty = pd.Series([None, None], dtype="string[pyarrow]")
    assert [c.tolist() for c in person_codes(empty, contact[:2])] == [[-1, -1], name_codes(contact[:2]).tolist()]
    assert person_keys(empty, empty)[1].to_pylist() == [None, None]
