"""SharedStrings decodes only what is asked for, the same on the fast and the regex path."""

from salesbook.adapters.files.cells import SharedStrings

PLAIN = (b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4">'
         b'<si><t>Lead ID</t></si><si/><si><r><t>Fr</t></r><r><rPr><b/></rPr><t>om</t></r></si>'
         b'<si><t xml:space="preserve"> To &amp; Date </t></si></sst>')
PREFIXED = PLAIN.replace(b"<si", b"<x:si").replace(b"</si", b"</x:si").replace(b"<t", b"<x:t").replace(
    b"</t", b"</x:t").replace(b"<r>", b"<x:r>").replace(b"</r>", b"</x:r>")


def test_items_on_both_paths():
    for data in (PLAIN, PREFIXED):
        sst = SharedStrings(data)
        assert sst[3] == " To & Date "
        assert sst[0] == "Lead ID" and sst[1] == "" and sst[2] == "From"
        assert SharedStrings(data).all() == ["Lead ID", "", "From", " To & Date "]


def test_past_the_end_is_an_index_error():
    import pytest

    for data in (PLAIN, PREFIXED):
        with pytest.raises(IndexError):
            SharedStrings(data)[4]
