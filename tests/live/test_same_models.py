"""The file and live adapters give the service the same book, so the same sheet models
(blocks, chart, widths, print setup) reach both writers; and the live chart is drawn with the
model's properties as the file draws them (reversed category axis, value labels)."""

from __future__ import annotations

import datetime as dt
import zipfile
from types import SimpleNamespace

import pandas as pd
from lxml import etree

from salesbook import service
from salesbook.adapters.excel import layout
from salesbook.adapters.excel.workbook import LiveWorkbook
from salesbook.adapters.files.workbook import FileWorkbook
from salesbook.reports.model import FORMATS, fit_widths, header_heights, print_area

from .conftest import find, lead_rows, write_leads

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
HISTORY = [["Lead ID", "From", "To", "Date"], ["L-0001", None, "Qualification", dt.datetime(2026, 10, 1)],
           ["L-0002", "Prospecting", "Qualification", dt.datetime(2026, 10, 3)]]


def _same_model(a, b) -> None:
    assert (a.name, a.notes, a.freeze_rows, a.page, a.charts) == (b.name, b.notes, b.freeze_rows, b.page, b.charts)
    assert len(a.blocks) == len(b.blocks)
    for x, y in zip(a.blocks, b.blocks):
        assert (x.row, x.col, x.title, x.header, x.formats) == (y.row, y.col, y.title, y.header, y.formats)
        pd.testing.assert_frame_equal(x.frame, y.frame)
    wa, wb = fit_widths(a), fit_widths(b)
    assert wa == wb and header_heights(a, wa) == header_heights(b, wb) and print_area(a) == print_area(b)


def test_file_and_live_adapters_give_the_same_sheet_models(tmp_path, open_book):
    path = write_leads(tmp_path / "leads.xlsx", lead_rows(40), history=HISTORY)
    with FileWorkbook(path, output=tmp_path / "out.xlsx") as workbook:
        from_file = service.run_on(workbook)
    from_live = service.run_on(LiveWorkbook(open_book(path)))
    assert from_file.summary == from_live.summary
    models_file, models_live = from_file.evaluation.sheets, from_live.evaluation.sheets
    assert [m.name for m in models_file] == [m.name for m in models_live] == ["Cleanse", "Funnel"]
    for a, b in zip(models_file, models_live):
        _same_model(a, b)
    funnel = models_file[1]
    assert len(funnel.charts) == 1
    for a, b in zip(from_file.evaluation.appends, from_live.evaluation.appends):
        pd.testing.assert_frame_equal(a.frame, b.frame)
    file_check, live_check = service.check(path, output=tmp_path / "checked.xlsx"), None
    live_book = open_book(path)
    live_check = service.check_on(LiveWorkbook(live_book))
    assert file_check.summary == live_check.summary and file_check.lines == live_check.lines
    assert find(live_book, "setValues", "Check")


class _Recorder(SimpleNamespace):
    """Excel's Chart object as COM offers it: properties, and Axes/SeriesCollection/DataLabels/ChartGroups calls."""

    def __init__(self):
        super().__init__(axis=SimpleNamespace(), series=SimpleNamespace(), group=SimpleNamespace(),
                         labels=SimpleNamespace())
        self.series.DataLabels = lambda: self.labels

    def Axes(self, kind):  # noqa: N802 - COM's name
        assert kind == 1  # xlCategory
        return self.axis

    def SeriesCollection(self, i):  # noqa: N802
        assert i == 1
        return self.series

    def ChartGroups(self, i):  # noqa: N802
        return self.group


def test_the_live_chart_takes_the_models_reversed_axis_and_labels(tmp_path):
    """desktop Excel (COM) gets what the file's chart part says, both from the Funnel model's chart."""
    path = write_leads(tmp_path / "leads.xlsx", lead_rows(40), history=HISTORY)
    result = service.run(path, output=tmp_path / "out.xlsx")
    model = next(m for m in result.evaluation.sheets if m.charts)
    chart = model.charts[0]
    fmt = model.blocks[chart.block].formats.get(chart.value, "")
    with zipfile.ZipFile(tmp_path / "out.xlsx") as z:
        part = next(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        xml = etree.fromstring(z.read(part))
    orientation = xml.find(f".//{C}catAx/{C}scaling/{C}orientation").get("val")
    crosses = xml.find(f".//{C}valAx/{C}crosses").get("val")
    labels = xml.find(f".//{C}ser/{C}dLbls")
    assert xml.find(f".//{C}legend") is None

    api = _Recorder()
    layout.native_chart(api, "win32", chart.kind == "bar", FORMATS.get(fmt, fmt) or "General")
    assert api.axis.ReversePlotOrder is (orientation == "maxMin") is True
    assert api.axis.Crosses == 2 and crosses == "max"  # xlAxisCrossesMaximum
    assert api.series.HasDataLabels and api.labels.ShowValue and labels.find(f"{C}showVal").get("val") == "1"
    assert api.labels.NumberFormat == labels.find(f"{C}numFmt").get("formatCode")
    assert api.labels.Position == 2 and labels.find(f"{C}dLblPos").get("val") == "outEnd"
    assert api.HasLegend is False and api.group.GapWidth == int(xml.find(f".//{C}gapWidth").get("val"))
