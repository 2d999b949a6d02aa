"""Realistic B2B sample leads for the demo workbook, tests and benchmarks.

``sample_leads`` builds a lead table with the Leads input columns of ``schema.INPUTS``
(English or Chinese headers and values): believable companies, contacts, emails and
phones, 6–8 reps, common lead sources, a funnel-shaped stage mix, BANT answers that
mature with the stage, and dates that tell a consistent story relative to ``today``.
A handful of intentional duplicates are always present (so *Flag Stale* has something
to find); deliberately bad cells only with ``with_problems=True`` (so *Check Data* does).

Everything is vectorised with one ``numpy.random.Generator``: names come from small
vocabularies combined by index with Arrow string kernels, so a million rows take a second
or two, and the same seed always gives the same frame.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesbook.rules.schema import INPUTS
from salesbook.rules.settings import DEFAULT_BANT, DEFAULT_STAGES

# The columns of a sample frame, in order (headers in the requested language).
# Email and Phone as two columns (the combined "Email / Phone" header is still read); no Mobile.
LEAD_COLUMNS = tuple(c for c in INPUTS if c.key not in ("email_phone", "mobile"))

# ---------------------------------------------------------------------------
# Vocabularies
# ---------------------------------------------------------------------------

_EN_BRANDS = (
    "Acme", "Atlas", "Aurora", "Beacon", "Blue River", "Bright Path", "Cascade", "Cedar", "Crescent",
    "Delta", "Evergreen", "Falcon", "Granite", "Harbor", "Horizon", "Ironwood", "Juniper", "Keystone",
    "Lakeside", "Maple", "Meridian", "Northwind", "Oakridge", "Orion", "Pacific", "Pinnacle", "Pioneer",
    "Quantum", "Redwood", "Riverstone", "Sierra", "Silverline", "Summit", "Sunrise", "Trident", "Unity",
    "Vertex", "Westbrook", "Willow", "Zenith",
)
_EN_INDUSTRIES = (
    "Analytics", "Apparel", "Biotech", "Building Supplies", "Chemicals", "Consulting", "Dental", "Electronics",
    "Energy", "Foods", "Freight", "Health", "Hospitality", "Logistics", "Machinery", "Manufacturing",
    "Media", "Packaging", "Pharma", "Plastics", "Robotics", "Software", "Solar", "Textiles",
)
_EN_LEGAL = ("Inc.", "Ltd", "LLC", "GmbH", "Co.", "Group", "Corp.", "PLC")
_EN_TLDS = (".com", ".co.uk", ".us", ".de", ".net", ".io", ".biz", ".uk")

_EN_FIRST = (
    "Adam", "Alice", "Amanda", "Andrew", "Anna", "Ben", "Brian", "Carla", "Chloe", "Chris", "Daniel", "David",
    "Diana", "Emily", "Emma", "Eric", "Fiona", "Frank", "Grace", "Hannah", "Henry", "Isabel", "Jack", "James",
    "Jason", "Jennifer", "Julia", "Kevin", "Laura", "Lucas", "Maria", "Mark", "Megan", "Michael", "Nina",
    "Oliver", "Olivia", "Paul", "Priya", "Rachel", "Ryan", "Sarah", "Sofia", "Thomas", "Tom", "Victor",
    "William", "Zoe",
)
_EN_LAST = (
    "Adams", "Baker", "Bauer", "Brown", "Carter", "Chen", "Clark", "Cooper", "Davis", "Diaz", "Evans", "Fischer",
    "Foster", "Garcia", "Gupta", "Hall", "Harris", "Hughes", "Jackson", "Johnson", "Kelly", "Kim", "King", "Lee",
    "Lewis", "Lopez", "Martin", "Miller", "Moore", "Morgan", "Murphy", "Nguyen", "Novak", "Patel", "Reed",
    "Rossi", "Schmidt", "Scott", "Singh", "Smith", "Taylor", "Thompson", "Turner", "Walker", "Ward", "White",
    "Wilson", "Young",
)

# Chinese companies: brand (with its pinyin for the email domain) + industry + legal form.
_ZH_BRANDS = (
    "华信", "东方", "金桥", "恒通", "中科", "瑞丰", "新达", "海川", "天成", "博远", "星辰", "凯盛", "鼎力", "宏图",
    "安泰", "永盛", "嘉禾", "联创", "远航", "正泰", "汇丰源", "明德", "盛世", "同创", "九州", "华源", "德信", "百川",
    "中兴达", "长青",
)
_ZH_BRANDS_PY = (
    "huaxin", "dongfang", "jinqiao", "hengtong", "zhongke", "ruifeng", "xinda", "haichuan", "tiancheng", "boyuan",
    "xingchen", "kaisheng", "dingli", "hongtu", "antai", "yongsheng", "jiahe", "lianchuang", "yuanhang",
    "zhengtai", "huifengyuan", "mingde", "shengshi", "tongchuang", "jiuzhou", "huayuan", "dexin", "baichuan",
    "zhongxingda", "changqing",
)
_ZH_INDUSTRIES = ("科技", "物流", "智能制造", "医疗器械", "食品", "新能源", "软件", "包装", "纺织", "电子",
                  "建材", "机械", "化工", "供应链", "环保", "生物")
_ZH_INDUSTRIES_PY = ("tech", "logistics", "im", "medical", "food", "energy", "soft", "pack", "textile",
                     "elec", "build", "machinery", "chem", "scm", "eco", "bio")
_ZH_LEGAL = ("有限公司", "股份有限公司", "集团有限公司", "(上海)有限公司", "(深圳)有限公司", "(苏州)有限公司")
_ZH_TLDS = (".com.cn", ".cn", ".com", ".net.cn", ".com.cn", ".cn")

_ZH_SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高",
                "林", "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧")
_ZH_SURNAMES_PY = ("wang", "li", "zhang", "liu", "chen", "yang", "zhao", "huang", "zhou", "wu", "xu", "sun",
                   "hu", "zhu", "gao", "lin", "he", "guo", "ma", "luo", "liang", "song", "zheng", "xie",
                   "han", "tang", "feng", "yu", "dong", "xiao")
_ZH_GIVEN = ("伟", "芳", "娜", "敏", "静", "磊", "强", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超",
             "秀英", "丽", "霞", "平", "刚", "桂英", "建华", "晓东", "海燕", "志强", "文博", "雨萱", "子涵",
             "浩然", "思远", "佳怡", "俊杰", "欣怡", "宇航", "梓轩", "国平", "春梅", "立新", "一鸣")
_ZH_GIVEN_PY = ("wei", "fang", "na", "min", "jing", "lei", "qiang", "yang", "yan", "yong", "jun", "jie",
                "juan", "tao", "ming", "chao", "xiuying", "li", "xia", "ping", "gang", "guiying", "jianhua",
                "xiaodong", "haiyan", "zhiqiang", "wenbo", "yuxuan", "zihan", "haoran", "siyuan", "jiayi",
                "junjie", "xinyi", "yuhang", "zixuan", "guoping", "chunmei", "lixin", "yiming")

_OWNERS = {
    "en": ("Alice Chen", "Ben Carter", "Carla Diaz", "David Okafor", "Emma Schulz", "Frank Li",
           "Grace Kim", "Hiro Tanaka"),
    "zh": ("王伟", "李娜", "张敏", "刘洋", "陈静", "杨磊", "赵婷", "黄强"),
}
_SOURCES = {
    "en": ("Website", "Referral", "Trade show", "LinkedIn", "Cold call", "Partner", "Webinar"),
    "zh": ("官网", "转介绍", "展会", "领英", "电话开发", "合作伙伴", "线上研讨会"),
}
_SOURCE_SHARE = np.array([0.25, 0.15, 0.12, 0.16, 0.12, 0.10, 0.10])

# Stage mix of a real funnel, in DEFAULT_STAGES order (6 open stages, Closed Won, Closed Lost).
_STAGE_SHARE = np.array([0.22, 0.18, 0.13, 0.10, 0.07, 0.05, 0.10, 0.15])
_WON, _LOST, _N_OPEN = 6, 7, 6
# Where Closed Lost leads dropped out (open stages).
_LOST_AT_SHARE = np.array([0.08, 0.17, 0.22, 0.22, 0.18, 0.13])

# BANT answers for a fresh lead (maturity 0) and for one at the end of the pipeline (maturity 1),
# in DEFAULT_BANT order. Rows in between get a blend.
_BANT_EARLY_LATE = {
    "budget": ([0.05, 0.25, 0.55, 0.15], [0.75, 0.20, 0.05, 0.00]),       # Confirmed Pending Unknown None
    "authority": ([0.08, 0.30, 0.30, 0.32], [0.70, 0.25, 0.05, 0.00]),    # DM Influencer User Unknown
    "need": ([0.10, 0.30, 0.50, 0.10], [0.80, 0.18, 0.02, 0.00]),         # Clear Identified Vague Mismatch
    "timeline": ([0.10, 0.20, 0.25, 0.15, 0.30], [0.70, 0.20, 0.07, 0.01, 0.02]),  # ≤3 3-6 6-12 >12 Unknown
}
# A Timeline given as a date instead of a bucket: days from today per bucket.
_TIMELINE_DAYS = ((-10, 92), (93, 183), (184, 365), (366, 540))

_PROBLEMS = {  # column key -> (English cell, Chinese cell): the typos people really make
    "stage": ("Negotation", "谈判中"),
              "budget": ("TBD", "看情况"),
    "last_contact": ("next week", "下周"),
                     "deal_value": ("about 50k", "约5万"),
    "unanswered": ("two", "两次"),
                   "timeline": ("soon", "尽快"),
    "authority": ("CEO", "老板"),
                  "created": ("{year}-02-30", "{year}-02-30"),
}

# ---------------------------------------------------------------------------
# Small vectorised helpers (strings are built with Arrow kernels: no Python per row)
# ---------------------------------------------------------------------------

def _vocab(values) -> pa.Array:
    return pa.array([str(v) for v in values], type=pa.string())


def _take(values, index: np.ndarray) -> pa.Array:
    """values[index] as an Arrow string array; a negative index gives a blank (null)."""
    index = np.asarray(index, dtype=np.int64)
    return _vocab(values).take(pa.array(index, mask=index < 0))


def _join(*parts, sep: str = "") -> pa.Array:
    """Element-wise concatenation of Arrow arrays and plain strings (a null part gives null)."""
    return pc.binary_join_element_wise(*[p if isinstance(p, (pa.Array, pa.ChunkedArray)) else pa.scalar(p)
                                         for p in parts], sep)


def _digits(values: np.ndarray, width: int) -> pa.Array:
    """Zero-padded decimal strings of non-negative integers."""
    text = pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())
    return pc.utf8_lpad(text, width=width, padding="0")


def _blank(values: pa.Array, mask: np.ndarray) -> pa.Array:
    """``values`` with the rows in ``mask`` blank (null)."""
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), pa.scalar(None, pa.string()), values)


def _where(mask: np.ndarray, a: pa.Array, b: pa.Array) -> pa.Array:
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), a, b)


def _remap(n: int, rows: np.ndarray, sources: np.ndarray) -> pa.Array:
    """An index that maps each row to itself except ``rows`` → ``sources`` (for ``take``)."""
    index = np.arange(n, dtype=np.int64)
    index[rows] = sources
    return pa.array(index)


def _text_column(values: pa.Array):
    """An Arrow string array as pandas' text column (the default ``str`` dtype, NaN = blank);
    on pandas before 2.3, which lacks that dtype, an object array."""
    try:
        dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    except TypeError:
        return values.to_numpy(zero_copy_only=False)
    return pd.array(values, dtype=dtype)


def _choose(rng: np.random.Generator, n: int, shares) -> np.ndarray:
    shares = np.asarray(shares, dtype=float)
    return rng.choice(len(shares), size=n, p=shares / shares.sum())


def _blend_choice(rng: np.random.Generator, maturity: np.ndarray, early, late) -> np.ndarray:
    """Per row, an option index drawn from early·(1−m) + late·m (m = the row's maturity)."""
    early, late = np.asarray(early, dtype=float), np.asarray(late, dtype=float)
    cum_early, cum_late = np.cumsum(early / early.sum()), np.cumsum(late / late.sum())
    u = rng.random(len(maturity))
    chosen = np.zeros(len(maturity), dtype=np.int64)
    for k in range(len(early) - 1):  # a loop over the options, not the rows
        chosen += u > cum_early[k] * (1 - maturity) + cum_late[k] * maturity
    return chosen


def _unique_pairs(rng: np.random.Generator, count: int, n_first: int, n_second: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` index pairs into two vocabularies, distinct while count ≤ n_first·n_second:
    an affine permutation of the row numbers, then a shuffle of each vocabulary so that
    neighbouring rows look unrelated."""
    m = n_first * n_second
    step = 1_000_003  # a prime above any vocabulary product's prime factors: coprime with m
    k = (np.arange(count, dtype=np.int64) * step + int(rng.integers(m))) % m
    return rng.permutation(n_first)[k % n_first], rng.permutation(n_second)[(k // n_first) % n_second]


def _days(today: dt.date, offsets: np.ndarray) -> np.ndarray:
    """today + offsets (days; NaN → NaT) as datetime64[ns]."""
    offsets = np.asarray(offsets, dtype=float)
    out = np.full(len(offsets), np.datetime64("NaT"), dtype="datetime64[D]")
    ok = ~np.isnan(offsets)
    out[ok] = np.datetime64(today, "D") + np.round(offsets[ok]).astype(np.int64)
    return out.astype("datetime64[ns]")


def _datetimes(values: np.ndarray) -> np.ndarray:
    """datetime64 values as an object array of ``datetime.datetime`` (NaT → None), for mixed columns."""
    return np.asarray(values).astype("datetime64[us]").astype(object)


# ---------------------------------------------------------------------------
# Column groups
# ---------------------------------------------------------------------------

def _stages(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stage index, Lost At Stage index (−1 if none) and maturity (0 = new, 1 = at the close)."""
    stage = _choose(rng, n, _STAGE_SHARE)
    lost_at = np.where(stage == _LOST, _choose(rng, n, _LOST_AT_SHARE), -1)
    level = np.where(stage == _LOST, lost_at, stage)  # how far the lead got
    return stage, lost_at, np.minimum(level / _N_OPEN, 1.0)


def _bant(rng: np.random.Generator, stage: np.ndarray, maturity: np.ndarray) -> dict[str, np.ndarray]:
    """Option indexes (DEFAULT_BANT order) per dimension, correlated with the stage."""
    out = {dim: _blend_choice(rng, maturity, *_BANT_EARLY_LATE[dim]) for dim in DEFAULT_BANT}
    # Won deals had a budget and a clear need; a fifth of lost deals turned out not to fit.
    n = len(stage)
    won = stage == _WON
    out["budget"] = np.where(won & (rng.random(n) < 0.85), 0, out["budget"])
    out["need"] = np.where(won, np.minimum(out["need"], 1), out["need"])
    out["need"] = np.where((stage == _LOST) & (rng.random(n) < 0.2), 3, out["need"])
    return out


def _bant_cells(rng: np.random.Generator, codes: dict[str, np.ndarray], today: dt.date, zh: bool) -> dict[str, object]:
    """BANT cells: labels, half of the 'blank means' answers left empty, some timelines as dates.
    Budget/Authority/Need are Arrow strings; Timeline is an object array (labels and datetimes)."""
    n = len(codes["budget"])
    cells: dict[str, object] = {}
    for dim, idx in codes.items():
        choices = DEFAULT_BANT[dim]
        blank_i = next((i for i, c in enumerate(choices) if c.blank), -1)
        idx = np.where((idx == blank_i) & (rng.random(n) < 0.5), -1, idx)
        cells[dim] = _take([c.zh if zh else c.value for c in choices], idx)
    tl = codes["timeline"]
    as_date = (tl < len(_TIMELINE_DAYS)) & (rng.random(n) < 0.3)
    lo = np.array([a for a, _ in _TIMELINE_DAYS] + [0])[tl]
    hi = np.array([b for _, b in _TIMELINE_DAYS] + [0])[tl]
    offsets = np.where(as_date, lo + rng.random(n) * (hi - lo), np.nan)
    timeline = np.asarray(cells["timeline"].to_pandas(), dtype=object)
    timeline[as_date] = _datetimes(_days(today, offsets)[as_date])
    timeline[pd.isna(timeline)] = None
    cells["timeline"] = timeline
    return cells


def _en_people(rng: np.random.Generator, n: int) -> dict[str, pa.Array]:
    nb, ni, nl = len(_EN_BRANDS), len(_EN_INDUSTRIES), len(_EN_LEGAL)
    comp_i, person_i = _unique_pairs(rng, n, nb * ni * nl, len(_EN_FIRST) * len(_EN_LAST))
    b, i, legal = comp_i % nb, (comp_i // nb) % ni, comp_i // (nb * ni)
    f, last = person_i % len(_EN_FIRST), person_i // len(_EN_FIRST)
    brand_slug = [s.lower().replace(" ", "") for s in _EN_BRANDS]
    industry_slug = [s.lower().split()[0] for s in _EN_INDUSTRIES]
    return {
        "company": _join(_take(_EN_BRANDS, b), _take(_EN_INDUSTRIES, i), _take(_EN_LEGAL, legal), sep=" "),
        "contact": _join(_take(_EN_FIRST, f), _take(_EN_LAST, last), sep=" "),
        "local": _join(_take([s.lower() for s in _EN_FIRST], f), _take([s.lower() for s in _EN_LAST], last), sep="."),
        "domain": _join(_take(brand_slug, b), _take(industry_slug, i), _take(_EN_TLDS, legal)),
        # North American style: +1 415-555-0123 (area codes 201–989).
        "phone": _join("+1 ", _digits(rng.integers(201, 990, n), 3), "-", _digits(rng.integers(200, 1000, n), 3),
                       "-", _digits(rng.integers(0, 10_000, n), 4)),
    }


def _zh_people(rng: np.random.Generator, n: int) -> dict[str, pa.Array]:
    nb, ni, nl = len(_ZH_BRANDS), len(_ZH_INDUSTRIES), len(_ZH_LEGAL)
    comp_i, person_i = _unique_pairs(rng, n, nb * ni * nl, len(_ZH_SURNAMES) * len(_ZH_GIVEN))
    b, i, legal = comp_i % nb, (comp_i // nb) % ni, comp_i // (nb * ni)
    s, g = person_i % len(_ZH_SURNAMES), person_i // len(_ZH_SURNAMES)
    mobile = ["130", "135", "136", "137", "138", "139", "150", "158", "186", "188"]
    return {
        "company": _join(_take(_ZH_BRANDS, b), _take(_ZH_INDUSTRIES, i), _take(_ZH_LEGAL, legal)),
        "contact": _join(_take(_ZH_SURNAMES, s), _take(_ZH_GIVEN, g)),
        "local": _join(_take(_ZH_GIVEN_PY, g), _take(_ZH_SURNAMES_PY, s), sep="."),
        "domain": _join(_take(_ZH_BRANDS_PY, b), _take(_ZH_INDUSTRIES_PY, i), _take(_ZH_TLDS, legal)),
        # Chinese mobiles: 139 1234 5678.
        "phone": _join(_take(mobile, rng.integers(0, len(mobile), n)), _digits(rng.integers(0, 10_000, n), 4),
                       _digits(rng.integers(0, 10_000, n), 4), sep=" "),
    }


def _people(rng: np.random.Generator, n: int, zh: bool) -> dict[str, pa.Array]:
    """Company, Contact, email local part and domain, Phone: English companies, or for
    Chinese about two thirds Chinese companies and one third foreign ones."""
    en = _en_people(rng, n)
    if not zh:
        return en
    cn = _zh_people(rng, n)
    chinese = rng.random(n) < 0.65
    return {k: _where(chinese, cn[k], en[k]) for k in en}


def _duplicates(rng: np.random.Generator, people: dict[str, pa.Array], zh: bool) -> np.ndarray:
    """Make a handful of later rows repeat an earlier row's email, phone or company + contact,
    as typed by someone else (different case or spacing). Adds the 'email' array; returns
    the rows involved (duplicates and their originals)."""
    n = len(people["company"])
    count = max(3, round(n * 0.015)) if n >= 20 else 0
    email = _join(people["local"], people["domain"], sep="@")
    if not count:
        people["email"] = email
        return np.array([], dtype=np.int64)
    dup = np.sort(rng.choice(np.arange(n // 2, n), size=count, replace=False))
    src = np.floor(rng.random(count) * dup).astype(np.int64)
    kind = np.arange(count) % 3
    same_email, same_phone, same_person = (kind == 0), (kind == 1), (kind == 2)

    def is_row(sel: np.ndarray) -> np.ndarray:
        mask = np.zeros(n, dtype=bool)
        mask[dup[sel]] = True
        return mask

    # Same email, shouted: the same person entered again by another rep.
    # Same phone without spaces: a colleague at the same company on the shared line.
    # Same company + contact, with a private email this time.
    people["company"] = people["company"].take(_remap(n, dup, src))
    people["contact"] = people["contact"].take(_remap(n, dup[~same_phone], src[~same_phone]))
    email = email.take(_remap(n, dup[same_email], src[same_email]))
    email = _where(is_row(same_email), pc.utf8_upper(email), email)
    private = _join(people["local"].take(_remap(n, dup, src)), "qq.com" if zh else "gmail.com", sep="@")
    people["email"] = _where(is_row(same_person), private, email)
    phone = people["phone"].take(_remap(n, dup[same_phone], src[same_phone]))
    people["phone"] = _where(is_row(same_phone), pc.replace_substring(phone, " ", ""), phone)
    return np.concatenate([dup, src])


def _blank_contacts(rng: np.random.Generator, people: dict[str, pa.Array], keep: np.ndarray) -> None:
    """Not every lead has both an email and a phone (rows in ``keep`` keep theirs)."""
    n = len(people["email"])
    no_email = rng.random(n) < 0.08
    no_phone = (rng.random(n) < 0.30) & ~no_email
    no_email[keep] = False
    no_phone[keep] = False
    people["email"] = _blank(people["email"], no_email)
    people["phone"] = _blank(people["phone"], no_phone)


def _dates(rng: np.random.Generator, stage: np.ndarray, lost_at: np.ndarray) -> dict[str, np.ndarray]:
    """Day offsets from today (negative = past; NaN = blank) for every date column.

    Open leads spent a week or two in each earlier stage and days to weeks in the current
    one; about one in twelve was forgotten (last contact over 60 days ago). Closed leads closed within
    the last ~7 months after a cycle as long as the stages they went through."""
    n = len(stage)
    is_open = stage < _N_OPEN
    closed = ~is_open
    level = np.where(stage == _LOST, lost_at, np.minimum(stage, _N_OPEN))
    prior = level * rng.uniform(5, 16, n)                       # days spent in earlier stages
    in_stage = rng.exponential(8.0, n)                          # days in the current stage
    forgotten = is_open & (rng.random(n) < 0.08)
    silent = np.where(forgotten, rng.uniform(61, 130, n), np.minimum(rng.exponential(6.0, n), prior + in_stage))
    in_stage = np.where(forgotten, np.maximum(in_stage, silent + rng.uniform(0, 10, n)), in_stage)
    close_ago = rng.uniform(0, 200, n)
    age = np.where(is_open, prior + in_stage + rng.uniform(0, 3, n), close_ago + prior + rng.uniform(5, 20, n))
    age = np.minimum(age, 270)
    in_stage = np.minimum(in_stage, age)
    silent = np.minimum(silent, age)

    created = -age
    stage_since = np.where(is_open, -in_stage, -close_ago)
    stage_since = np.where(is_open & (level == 0), created, stage_since)  # prospects: in stage 1 since creation
    close_date = np.where(closed, -close_ago, np.nan)
    # Won customers get after-sales contact; lost ones were last contacted when they were lost.
    last_contact = np.where(is_open, -silent, np.where(stage == _WON, -rng.uniform(0, 1, n) * close_ago, -close_ago))
    last_contact = np.maximum(last_contact, created)
    never = is_open & (level == 0) & (rng.random(n) < 0.15)    # brand-new prospects not yet contacted
    last_contact = np.where(never, np.nan, last_contact)
    stage_since = np.where(rng.random(n) < 0.10, np.nan, stage_since)

    booked = is_open & (rng.random(n) < 0.09)
    scheduled = np.where(booked, np.where(rng.random(n) < 0.2, -rng.uniform(1, 10, n), rng.uniform(0, 21, n)), np.nan)
    scheduled = np.where(scheduled < created, np.nan, scheduled)
    snoozed = is_open & (rng.random(n) < 0.03)
    snooze = np.where(snoozed, np.where(rng.random(n) < 0.25, -rng.uniform(1, 20, n), rng.uniform(7, 60, n)), np.nan)
    return {"created": np.floor(created), "last_contact": np.floor(last_contact), "stage_since": np.floor(stage_since),
            "close_date": np.floor(close_date), "scheduled": np.ceil(scheduled), "snooze_until": np.ceil(snooze),
            "forgotten": forgotten}


def _deal_values(rng: np.random.Generator, stage: np.ndarray, maturity: np.ndarray) -> np.ndarray:
    """Lognormal around 40k (most between 15k and 110k), a bit larger late in the funnel;
    many early leads have no estimate yet."""
    n = len(stage)
    value = np.exp(rng.normal(np.log(40_000), 0.6, n)) * (0.85 + 0.3 * maturity)
    value = np.round(value / 100) * 100
    unknown = ((stage == 0) & (rng.random(n) < 0.35)) | ((stage == 1) & (rng.random(n) < 0.15))
    return np.where(unknown, np.nan, value)


def _unanswered(rng: np.random.Generator, stage: np.ndarray, forgotten: np.ndarray) -> np.ndarray:
    counts = _choose(rng, len(stage), [0.60, 0.25, 0.08, 0.04, 0.02, 0.01])
    counts = np.where(forgotten & (rng.random(len(stage)) < 0.4), np.maximum(counts, 3), counts)
    return np.where(stage < _N_OPEN, counts, 0).astype(np.int64)


def _add_problems(rng: np.random.Generator, cols: dict[str, object], n: int, today: dt.date, zh: bool) -> None:
    """About 1% of rows get one bad cell each, cycling through the typical mistakes."""
    count = min(n, max(len(_PROBLEMS), round(n * 0.01)))
    rows = np.sort(rng.choice(n, size=count, replace=False))
    for j, key in enumerate(_PROBLEMS):
        at = rows[j::len(_PROBLEMS)]
        if not len(at):
            continue
        text = _PROBLEMS[key][1 if zh else 0].format(year=today.year)
        column = cols[key]
        if isinstance(column, pa.Array):
            mask = np.zeros(n, dtype=bool)
            mask[at] = True
            cols[key] = _where(mask, pa.scalar(text), column)
            continue
        # A typed column (dates, numbers) turns into mixed cells, as in a real sheet.
        values = _datetimes(column) if column.dtype.kind == "M" else np.array(column, dtype=object)
        values[pd.isna(values)] = None
        values[at] = text
        cols[key] = values


# ---------------------------------------------------------------------------
# The sample
# ---------------------------------------------------------------------------

def sample_leads(n: int = 200, *, seed: int = 7, today: dt.date, language: str = "en",
                 with_problems: bool = False) -> pd.DataFrame:
    """``n`` realistic B2B leads as the Leads table's input columns (headers in ``language``).

    Text columns use pandas' ``str`` dtype (NaN = blank); dates are datetime64[ns] columns;
    Timeline holds bucket labels or dates (``datetime.datetime``) in an object column; Deal Value is
    float (NaN = no estimate yet); Unanswered is int. Deterministic for a seed.
    ``with_problems`` adds ~1% deliberately bad cells (a typo'd stage, Budget 'TBD',
    'next week' as a Last Contact …) so that Check Data has something to show; the
    affected date and number columns then hold mixed cells (object dtype)."""
    if n < 0:
        raise ValueError("n must be at least 0")
    zh = language == "zh"
    lang = "zh" if zh else "en"
    rng = np.random.default_rng(seed)

    stage, lost_at, maturity = _stages(rng, n)
    bant = _bant_cells(rng, _bant(rng, stage, maturity), today, zh)
    people = _people(rng, n, zh)
    involved = _duplicates(rng, people, zh)
    _blank_contacts(rng, people, involved)
    dates = _dates(rng, stage, lost_at)

    n_owners = int(rng.integers(6, 9))
    owner_share = rng.dirichlet(np.full(n_owners, 8.0))
    stage_labels = [s.zh if zh else s.name for s in DEFAULT_STAGES]

    cols: dict[str, object] = {
        "lead_id": _join("L-", _digits(np.arange(1, n + 1), max(4, len(str(n))))),
        "company": people["company"],
        "contact": people["contact"],
        "email_phone": pc.coalesce(people["email"], people["phone"]),
        "email": people["email"],
        "phone": people["phone"],
        "owner": _take(_OWNERS[lang][:n_owners], _choose(rng, n, owner_share)),
        "source": _take(_SOURCES[lang], _choose(rng, n, _SOURCE_SHARE)),
        "stage": _take(stage_labels, stage),
        "lost_at_stage": _take(stage_labels, lost_at),
        **bant,
        "deal_value": _deal_values(rng, stage, maturity),
        "created": _days(today, dates["created"]),
        "last_contact": _days(today, dates["last_contact"]),
        "unanswered": _unanswered(rng, stage, dates["forgotten"]),
        "stage_since": _days(today, dates["stage_since"]),
        "close_date": _days(today, dates["close_date"]),
        "scheduled": _days(today, dates["scheduled"]),
        "snooze_until": _days(today, dates["snooze_until"]),
    }
    if with_problems and n:
        _add_problems(rng, cols, n, today, zh)
    return pd.DataFrame({c.header(lang): _text_column(cols[c.key]) if isinstance(cols[c.key], pa.Array)
                         else cols[c.key] for c in LEAD_COLUMNS})


__all__ = ["sample_leads", "LEAD_COLUMNS"]
