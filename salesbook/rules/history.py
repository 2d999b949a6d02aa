"""Stage history: what changed since the last run, and what History tells the rules.

History rows are (Lead ID, From, To, Date). The first time a lead is seen it gets a row
with an empty From; after that, a row only when its stage differs from the last one
recorded. Running twice therefore adds nothing the second time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesbook.rules.columnar import first_of_codes
from salesbook.rules.reading import parse_dates
from salesbook.rules.schema import norm
from salesbook.rules.settings import Settings
from salesbook.vocabulary.names import HISTORY as HISTORY_SHEET, HISTORY_COLUMNS


def history_from_grid(rows: list[list[object]] | None) -> pd.DataFrame:
    """The History sheet's cells as a frame with columns lead_id, from, to, date (text/dates)."""
    empty = pd.DataFrame({"lead_id": pd.Series(dtype="string"), "from": pd.Series(dtype="string"),
                          "to": pd.Series(dtype="string"), "date": pd.Series(dtype="datetime64[ns]")})
    if not rows:
        return empty
    header = [norm(h) for h in rows[0]]
    pos = {}
    for key, names in HISTORY_COLUMNS.items():
        for i, h in enumerate(header):
            if h in {norm(n) for n in names} or h in {norm(names[0] + names[1])}:
                pos[key] = i
                break
    if "lead_id" not in pos or "to" not in pos:
        return empty
    body = rows[1:]
    lengths = set(map(len, body))
    if len(lengths) > 1:  # read_grid trims each row's trailing empty cells; pandas deprecates ragged rows
        width = max(lengths)
        body = [r if len(r) == width else [*r, *[None] * (width - len(r))] for r in body]
    body = pd.DataFrame(body)
    frame = pd.DataFrame({k: (body[pos[k]] if k in pos and pos[k] in body.columns else pd.Series(None, index=body.index, dtype=object))
                          for k in ("lead_id", "from", "to", "date")})
    for k in ("lead_id", "from", "to"):
        frame[k] = frame[k].astype(pd.StringDtype("pyarrow")).str.strip()
    # Date cells as ISO text (History dates repeat: each distinct value is converted once).
    codes, uniques = pd.factorize(frame["date"], use_na_sentinel=True)
    iso = np.array([v.isoformat() if hasattr(v, "isoformat") else v for v in uniques] + [None], dtype=object)
    frame["date"], _ = parse_dates(pd.Series(iso[codes], index=frame.index, dtype=object).astype(pd.StringDtype("pyarrow")))
    return frame[frame["lead_id"].notna() & (frame["lead_id"] != "")].reset_index(drop=True)


def _stage_codes(s: pd.Series, settings: Settings) -> np.ndarray:
    index = settings.stage_index()
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    table = np.array([index.get(norm(u), -1) for u in uniques] + [-1], dtype=np.int16)
    return table[codes]


def changes(frame: pd.DataFrame, history: pd.DataFrame, settings: Settings, today: pd.Timestamp,
            lang: str = "en") -> pd.DataFrame:
    """New History rows: each lead whose stage differs from the last one History recorded."""
    keep = frame["lead_id"].notna().to_numpy() & (frame["stage_i"] >= 0).to_numpy()
    at = np.flatnonzero(keep)
    codes = frame["lead_code"].to_numpy()[at]  # prepare's Lead ID codes
    at = at[first_of_codes(codes) == np.arange(len(at))]  # the first row of each Lead ID
    ids = frame["lead_id"].iloc[at]
    stage_i = frame["stage_i"].to_numpy()[at]
    if len(history):
        last = history.drop_duplicates("lead_id", keep="last").set_index("lead_id")["to"]
        last_code = pd.Series(_stage_codes(last, settings), index=last.index)
        prev = ids.map(last_code).to_numpy(dtype="float64", na_value=np.nan)
        prev_text = ids.map(last).astype(object)
        prev_text = prev_text.where(prev_text.notna(), "").to_numpy(dtype=object)
    else:
        prev = np.full(len(at), np.nan)
        prev_text = np.full(len(at), "", dtype=object)
    moved = np.isnan(prev) | (prev != stage_i)
    # The same stage written in the other language is no change.
    names = np.array([s.zh if lang == "zh" and s.zh else s.name for s in settings.stages], dtype=object)
    return pd.DataFrame({
        "lead_id": ids[moved].reset_index(drop=True),
        "from": pd.Series(prev_text[moved], dtype=object),
        "to": pd.Series(names[stage_i[moved]], dtype=object),
        "date": np.full(int(moved.sum()), today.to_datetime64()),
    }, copy=False)


def entered_current_stage(frame: pd.DataFrame, history: pd.DataFrame, settings: Settings) -> pd.Series:
    """Per lead row, the date History saw the lead move into its current stage (NaT when
    History has no such move; a first sighting is not a move)."""
    out = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    if not len(history):
        return out
    moves = history[history["from"].notna() & (history["from"] != "")].copy()
    if moves.empty:
        return out
    moves["to_i"] = _stage_codes(moves["to"], settings)
    last = moves.drop_duplicates(["lead_id", "to_i"], keep="last").set_index(["lead_id", "to_i"])["date"]
    key = pd.MultiIndex.from_arrays([frame["lead_id"].astype("object"), frame["stage_i"].astype("int64")])
    found = last.reindex(key)
    out[:] = found.to_numpy()
    return out


def max_stage_seen(frame: pd.DataFrame, history: pd.DataFrame, settings: Settings) -> pd.Series:
    """Per lead row, the furthest funnel position (1-based) History shows it in, else 0."""
    if not len(history):
        return pd.Series(0, index=frame.index)
    level = funnel_levels(settings)
    best_to = level[_stage_codes(history["to"], settings)]
    best = np.maximum(best_to, level[_stage_codes(history["from"], settings)])  # per History row
    # Per Lead ID: codes shared by History and the lead table, then one maximum per code.
    ids = pd.concat([history["lead_id"].astype(object), frame["lead_id"].astype(object)], ignore_index=True)
    codes, uniques = pd.factorize(ids, use_na_sentinel=True)
    hist_codes, lead_codes = codes[:len(history)], codes[len(history):]
    per_id = np.zeros(len(uniques) + 1, dtype=np.int64)
    ok = hist_codes >= 0
    np.maximum.at(per_id, hist_codes[ok], best[ok])
    return pd.Series(per_id[np.where(lead_codes >= 0, lead_codes, len(uniques))], index=frame.index)


def funnel_levels(settings: Settings) -> np.ndarray:
    """stage position (and -1 at the end) -> 1-based funnel position; 0 for lost/unknown."""
    funnel = settings.funnel_stages
    return np.array([funnel.index(s) + 1 if s in funnel else 0 for s in settings.stages] + [0], dtype=np.int64)
