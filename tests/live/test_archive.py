"""The ribbon's Archive Stale on xlwings' remote engine: it shows how many leads (and which)
would move and asks first; on OK it reads the lead table again and moves nothing when the
table changed meanwhile (a sort, an inserted row, an edit), so the wrong rows are never deleted."""

from __future__ import annotations

from salesbook import ribbon

from .conftest import actions, find, json_sheet, lead_rows, write_leads
from .test_ribbon import expected

# write_leads puts the Leads table at B2: header on sheet row 2, leads from row 3 (JSON index 2).
FIRST = 2


def stale(path) -> list[int]:
    return [int(r) for r in expected(path, "stale").stale_rows]


def the_question(book) -> dict:
    asks = [a for a in find(book, "alert") if a["args"][2] == "ok_cancel"]
    assert len(asks) == 1, find(book, "alert")
    return asks[0]


def writes(book) -> list[str]:
    return [a["func"] for a in actions(book) if a["func"] not in ("alert", "setScreenUpdating", "setStatusBar")]


def test_archive_shows_the_count_and_lead_ids_and_asks_before_anything_moves(tmp_path, open_book, answer):
    answer("ok")
    path = write_leads(tmp_path / "leads.xlsx", lead_rows(20))
    rows = stale(path)
    book = open_book(path)
    summary = ribbon.run("archive", book=book)
    assert summary == f"Archived {len(rows)} stale leads to the Archive sheet; {20 - len(rows)} rows remain in Leads."
    ask = the_question(book)
    text, title, buttons, mode, _ = ask["args"]
    assert text.startswith(f"Archive {len(rows)} stale leads to the Archive sheet?")
    ids = [f"L-{r - FIRST:04d}" for r in rows]  # row 3 holds L-0001
    assert f"Lead IDs: {', '.join(ids)}." in text and "归档表" in text
    assert (title, buttons) == ("Sales Pipeline", "ok_cancel")
    funcs = [a["func"] for a in actions(book)]
    first_write = min(funcs.index(f) for f in ("setValues", "rangeDelete"))
    assert funcs.index("alert") < first_write  # the count is shown before anything moves
    deleted = sorted(r for a in find(book, "rangeDelete", "Leads")
                     for r in range(a["start_row"] + 1, a["start_row"] + 1 + a["row_count"]))
    assert deleted == rows


def test_archive_lists_the_first_ten_lead_ids_and_counts_the_rest(tmp_path, open_book, answer):
    answer("cancel")
    path = write_leads(tmp_path / "leads.xlsx", lead_rows(100))
    rows = stale(path)
    assert len(rows) > 10
    book = open_book(path)
    ribbon.run("archive", book=book)
    text = the_question(book)["args"][0]
    ids = [f"L-{r - FIRST:04d}" for r in rows[:10]]
    assert f"Lead IDs: {', '.join(ids)}, … and {len(rows) - 10} more." in text


def test_cancel_moves_nothing(tmp_path, open_book, answer):
    answer("cancel")
    book = open_book(write_leads(tmp_path / "leads.xlsx", lead_rows(20)))
    assert ribbon.run("archive", book=book) == "Archive Stale cancelled: nothing was moved."
    assert writes(book) == [] and [a["args"][2] for a in find(book, "alert")] == ["ok_cancel"]


def test_no_answer_moves_nothing(tmp_path, open_book):
    # The remote engine answers None (xlwings Server replies through a callback): not an OK.
    book = open_book(write_leads(tmp_path / "leads.xlsx", lead_rows(20)))
    assert ribbon.run("archive", book=book).startswith("Archive Stale moved nothing")
    assert writes(book) == []


def test_nothing_to_archive_asks_nothing(tmp_path, open_book, answer):
    answer("ok")
    rows = [r for i, r in enumerate(lead_rows(20)) if i % 10 not in (2, 3)][:3]  # no stale pattern
    book = open_book(write_leads(tmp_path / "leads.xlsx", rows))
    assert ribbon.run("archive", book=book) == "No stale leads to archive."
    assert actions(book) == [] or not find(book, "alert")


def _refused(book, message: str) -> None:
    """The run stopped with one message box and wrote nothing: no archive rows, no deletes."""
    assert writes(book) == [], writes(book)
    criticals = [a for a in find(book, "alert") if a["args"][3] == "critical"]
    assert len(criticals) == 1 and criticals[0]["args"][0] == message
    assert "Nothing was changed" in message and "Traceback" not in message


def test_a_sort_while_the_question_is_up_deletes_nothing(tmp_path, open_book, answer):
    path = write_leads(tmp_path / "leads.xlsx", lead_rows(20))
    rows = stale(path)

    def sort_descending(book_json):  # the user sorts the table Z→A by Lead ID
        values = json_sheet(book_json, "Leads")["values"]
        values[FIRST:FIRST + 20] = values[FIRST:FIRST + 20][::-1]

    answer("ok", meanwhile=sort_descending)
    book = open_book(path)
    message = ribbon.run("archive", book=book)
    _refused(book, message)
    assert f"row {FIRST + 1} now holds lead L-0020 where it read lead L-0001" in message
    assert "sorted" in message and "Leads" in message
    assert rows  # there was something to archive


def test_a_row_inserted_while_the_question_is_up_deletes_nothing(tmp_path, open_book, answer):
    path = write_leads(tmp_path / "leads.xlsx", lead_rows(20))

    def insert_row(book_json):  # a new lead typed into the table above the first stale one
        sheet = json_sheet(book_json, "Leads")
        values = sheet["values"]
        width = len(values[0])
        values.insert(FIRST + 1, [""] + ["L-0999", "New Co"] + [""] * (width - 3))
        table = sheet["tables"][0]
        table.update(range_address="B2:U23", data_body_range_address="B3:U23", row_count=22)

    answer("ok", meanwhile=insert_row)
    book = open_book(path)
    message = ribbon.run("archive", book=book)
    _refused(book, message)
    assert "last lead on row 23" in message and "rows 2 and 22" in message


def test_an_edit_to_a_lead_that_would_move_deletes_nothing(tmp_path, open_book, answer):
    path = write_leads(tmp_path / "leads.xlsx", lead_rows(20))
    first = stale(path)[0]

    def edit(book_json):  # the rep updates the stale lead's company meanwhile
        json_sheet(book_json, "Leads")["values"][first - 1][2] = "Renamed Ltd"

    answer("ok", meanwhile=edit)
    book = open_book(path)
    message = ribbon.run("archive", book=book)
    _refused(book, message)
    assert f"lead L-{first - FIRST:04d} on row {first} was edited (column 'Company')" in message


def test_an_unchanged_table_is_archived_after_the_second_read(tmp_path, open_book, answer):
    path = write_leads(tmp_path / "leads.xlsx", lead_rows(20))
    seen = []
    answer("ok", meanwhile=lambda book_json: seen.append(True))  # the user looks, changes nothing
    book = open_book(path)
    assert ribbon.run("archive", book=book).startswith("Archived ")
    assert seen and find(book, "rangeDelete", "Leads")
