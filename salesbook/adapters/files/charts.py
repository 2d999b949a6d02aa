"""The charts of the add-in's sheets as DrawingML: one drawing part anchoring each chart over its
cells, and one chart part per chart (a bar chart of a block's column, its categories and values
cached, data labels in the column's format)."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Sequence

import pandas as pd

from salesbook.reports.model import Block, Chart, SheetModel
from salesbook.adapters.files.cellvalues import escape_text, format_code, number_text, quote_sheet
from salesbook.adapters.files.cellxml import escape_attr
from salesbook.adapters.files.ooxml import NS_CHART, NS_DML, NS_DOC_REL, NS_XDR, XML_DECL
from salesbook.cells import col_letter

DRAWING_RID = "rIdDrawing1"  # the worksheet's relationship to its drawing
CHART_RID = "rIdChart{}"  # the drawing's relationship to chart i (1-based)
CHART_BAR_RGB = "4472C4"




def drawing_xml(charts: Sequence[Chart]) -> bytes:
    """A drawing part anchoring each chart over its cells."""
    anchors = "".join(_anchor_xml(i, chart) for i, chart in enumerate(charts, start=1))
    return (
        f'{XML_DECL}<xdr:wsDr xmlns:xdr="{NS_XDR}" xmlns:a="{NS_DML}">{anchors}</xdr:wsDr>'
    ).encode("utf-8")


def _anchor_xml(i: int, chart: Chart) -> str:
    col0, row0 = chart.anchor_col - 1, chart.anchor_row - 1
    return (
        "<xdr:twoCellAnchor>"
        f"<xdr:from><xdr:col>{col0}</xdr:col><xdr:colOff>0</xdr:colOff>"
        f"<xdr:row>{row0}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
        f"<xdr:to><xdr:col>{col0 + chart.width_cols}</xdr:col><xdr:colOff>0</xdr:colOff>"
        f"<xdr:row>{row0 + chart.height_rows}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"
        '<xdr:graphicFrame macro="">'
        f'<xdr:nvGraphicFramePr><xdr:cNvPr id="{i + 1}" name="Chart {i}" descr="{escape_attr(chart.title)}"/>'
        "<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>"
        '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
        f'<a:graphic><a:graphicData uri="{NS_CHART}">'
        f'<c:chart xmlns:c="{NS_CHART}" xmlns:r="{NS_DOC_REL}" r:id="{CHART_RID.format(i)}"/>'
        "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>"
    )


@dataclass
class ChartData:
    """Where a chart's series lives on the sheet, and its current values."""

    cat_ref: str
    val_ref: str
    name_ref: str | None
    name: str
    categories: list[str | None]
    values: list[float]
    format_code: str


def chart_data(model: SheetModel, chart: Chart, value: str | None = None) -> ChartData:
    try:
        block = model.blocks[chart.block]
    except IndexError:
        raise ValueError(f"chart {chart.title!r} refers to block {chart.block}, which does not exist") from None
    cat_col = block.col + _column_position(block, chart.category, chart)
    value = chart.value if value is None else value
    val_col = block.col + _column_position(block, value, chart)
    first, last = block.first_data_row, max(block.last_row, block.first_data_row)
    sheet = quote_sheet(model.name)
    header_row = block.first_data_row - 1
    name_ref = f"{sheet}!${col_letter(val_col)}${header_row}" if block.header else None
    frame = block.frame
    cat_values = frame.iloc[:, cat_col - block.col].tolist()
    values = pd.to_numeric(frame.iloc[:, val_col - block.col], errors="coerce").astype("float64").tolist()
    return ChartData(
        cat_ref=f"{sheet}!${col_letter(cat_col)}${first}:${col_letter(cat_col)}${last}",
        val_ref=f"{sheet}!${col_letter(val_col)}${first}:${col_letter(val_col)}${last}",
        name_ref=name_ref,
        name=str(value),
        categories=[None if _is_missing(v) else _category_text(v) for v in cat_values],
        values=values,
        format_code=format_code(block.formats.get(str(value), "")) or "General",
    )


def _column_position(block: Block, name: str, chart: Chart) -> int:
    names = [str(c) for c in block.frame.columns]
    if str(name) not in names:
        raise ValueError(f"chart {chart.title!r}: block {chart.block} has no column {name!r}")
    return names.index(str(name))


def _is_missing(v) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _category_text(v) -> str:
    if isinstance(v, (_dt.date, pd.Timestamp)):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def chart_xml(model: SheetModel, chart: Chart, date1904: bool = False) -> bytes:
    """A chart part: one bar (or column) series with cached values, title and labels
    (``date1904``: the workbook's date system, which the chart states as Excel does)."""
    data = chart_data(model, chart)
    horizontal = chart.kind == "bar"
    cat_id, val_id = 50010001, 50010002
    parts = [
        XML_DECL,
        f'<c:chartSpace xmlns:c="{NS_CHART}" xmlns:a="{NS_DML}" xmlns:r="{NS_DOC_REL}">',
        f'<c:date1904 val="{int(date1904)}"/><c:lang val="en-US"/><c:roundedCorners val="0"/>',
        "<c:chart>",
        _title_xml(chart.title),
        '<c:autoTitleDeleted val="0"/>',
        "<c:plotArea><c:layout/>",
        "<c:barChart>",
        f'<c:barDir val="{"bar" if horizontal else "col"}"/>',
        '<c:grouping val="clustered"/><c:varyColors val="0"/>',
        _series_xml(data),
        *(_series_xml(chart_data(model, chart, extra), i, _MORE_RGB[(i - 1) % len(_MORE_RGB)])
          for i, extra in enumerate(chart.also, start=1)),
        _data_labels_xml(None),
        '<c:gapWidth val="50"/>',
        f'<c:axId val="{cat_id}"/><c:axId val="{val_id}"/>',
        "</c:barChart>",
        _cat_axis_xml(cat_id, val_id, horizontal),
        _val_axis_xml(val_id, cat_id, horizontal, data.format_code),
        "</c:plotArea>",
        '<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend>' if chart.also else "",
        '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/>',
        "</c:chart>",
        "</c:chartSpace>",
    ]
    return "".join(parts).encode("utf-8")


def _title_xml(title: str) -> str:
    return (
        "<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/>"
        '<a:p><a:pPr><a:defRPr sz="1400" b="1"/></a:pPr>'
        f'<a:r><a:rPr lang="en-US" sz="1400" b="1"/><a:t>{escape_text(title)}</a:t></a:r></a:p>'
        '</c:rich></c:tx><c:layout/><c:overlay val="0"/></c:title>'
    )


_MORE_RGB = ("A5A5A5", "ED7D31")  # the series after the first (grey, orange)


def _series_xml(data: ChartData, idx: int = 0, rgb: str | None = None) -> str:
    if data.name_ref:
        tx = (
            f"<c:tx><c:strRef><c:f>{escape_text(data.name_ref)}</c:f>"
            f'<c:strCache><c:ptCount val="1"/><c:pt idx="0"><c:v>{escape_text(data.name)}</c:v></c:pt>'
            "</c:strCache></c:strRef></c:tx>"
        )
    else:
        tx = f"<c:tx><c:v>{escape_text(data.name)}</c:v></c:tx>"
    return (
        f'<c:ser><c:idx val="{idx}"/><c:order val="{idx}"/>'
        + tx
        + f'<c:spPr><a:solidFill><a:srgbClr val="{rgb or CHART_BAR_RGB}"/></a:solidFill></c:spPr>'
        + '<c:invertIfNegative val="0"/>'
        + _data_labels_xml(data.format_code)
        + f"<c:cat><c:strRef><c:f>{escape_text(data.cat_ref)}</c:f>{_str_cache(data.categories)}</c:strRef></c:cat>"
        + f"<c:val><c:numRef><c:f>{escape_text(data.val_ref)}</c:f>"
        + f"{_num_cache(data.values, data.format_code)}</c:numRef></c:val>"
        + "</c:ser>"
    )


def _str_cache(categories: list[str | None]) -> str:
    pts = "".join(
        f'<c:pt idx="{i}"><c:v>{escape_text(text)}</c:v></c:pt>'
        for i, text in enumerate(categories)
        if text is not None
    )
    return f'<c:strCache><c:ptCount val="{len(categories)}"/>{pts}</c:strCache>'


def _num_cache(values: list[float], code: str) -> str:
    series = pd.Series(values, dtype="float64")
    txt, empty = number_text(series)
    pts = "".join(
        f'<c:pt idx="{i}"><c:v>{t}</c:v></c:pt>' for i, (t, e) in enumerate(zip(txt.tolist(), empty.tolist())) if not e
    )
    return (
        f"<c:numCache><c:formatCode>{escape_text(code)}</c:formatCode>"
        f'<c:ptCount val="{len(values)}"/>{pts}</c:numCache>'
    )


def _data_labels_xml(code: str | None) -> str:
    """Value labels; at series level with the value column's number format."""
    num_fmt = f'<c:numFmt formatCode="{escape_attr(code)}" sourceLinked="1"/>' if code else ""
    position = '<c:dLblPos val="outEnd"/>' if code else ""
    return (
        f"<c:dLbls>{num_fmt}{position}"
        '<c:showLegendKey val="0"/><c:showVal val="1"/><c:showCatName val="0"/>'
        '<c:showSerName val="0"/><c:showPercent val="0"/><c:showBubbleSize val="0"/>'
        "</c:dLbls>"
    )


def _cat_axis_xml(ax_id: int, cross_id: int, horizontal: bool) -> str:
    # Horizontal bars list the first category at the top: reversed category order.
    orientation = "maxMin" if horizontal else "minMax"
    return (
        f'<c:catAx><c:axId val="{ax_id}"/><c:scaling><c:orientation val="{orientation}"/></c:scaling>'
        f'<c:delete val="0"/><c:axPos val="{"l" if horizontal else "b"}"/>'
        '<c:numFmt formatCode="General" sourceLinked="1"/>'
        '<c:majorTickMark val="none"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        f'<c:crossAx val="{cross_id}"/><c:crosses val="autoZero"/>'
        '<c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/>'
        "</c:catAx>"
    )


def _val_axis_xml(ax_id: int, cross_id: int, horizontal: bool, code: str) -> str:
    # With reversed categories the value axis crosses at the last category: the bottom.
    crosses = "max" if horizontal else "autoZero"
    return (
        f'<c:valAx><c:axId val="{ax_id}"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
        f'<c:delete val="0"/><c:axPos val="{"b" if horizontal else "l"}"/><c:majorGridlines/>'
        f'<c:numFmt formatCode="{escape_attr(code)}" sourceLinked="1"/>'
        '<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        f'<c:crossAx val="{cross_id}"/><c:crosses val="{crosses}"/><c:crossBetween val="between"/>'
        "</c:valAx>"
    )
