"""The streaming PDF join under report.pdf: pages in order, each document's bookmarks and named destinations
leading to the same pages as before the join, and a cross-reference table a strict reader accepts (pdftotext
and pypdf rebuild a broken one without a word, so the report's own tests would not notice)."""

import io
import re

import pytest
import weasyprint
from pypdf import PdfReader

from casework.bundles.pdf_join import PdfJoin


def document(*sections: str) -> PdfReader:
    """A PDF with one page per section: `<h1>` bookmarks (the first closed, with an `<h2>` under it), and the
    first page's heading a named destination."""
    pages = [
        f'<section style="page-break-after: always"><h1{attributes}>{title}</h1><h2>{title} detail</h2></section>'
        for title, attributes in zip(
            sections, [f' id="{sections[0]}" style="bookmark-state: closed"'] + [""] * len(sections), strict=False
        )
    ]
    pages = "".join(pages)
    return PdfReader(io.BytesIO(weasyprint.HTML(string=f"<body>{pages}</body>").write_pdf()))


def add(join: PdfJoin, reader: PdfReader) -> None:
    root = reader.trailer["/Root"]
    names = root["/Names"]["/Dests"]["/Names"] if "/Names" in root else None
    join.add(list(reader.pages), outline=root["/Outlines"], names=names)


def outline_of(reader: PdfReader, items=None, depth=0) -> list[tuple[int, str, int, bool]]:
    rows = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            rows += outline_of(reader, item, depth + 1)
        else:
            rows.append((depth, item.title, reader.get_destination_page_number(item), item.get("/Count", 0) < 0))
    return rows


def test_joined_documents_keep_their_pages_bookmarks_and_named_destinations_in_order():
    output = io.BytesIO()
    output.write(b"not the PDF's: offsets count from where the join starts")
    start = output.tell()
    join = PdfJoin(output)
    add(join, document("Cover", "Summary"))
    add(join, document("Exhibits"))
    join.finish({"/Title": "Evidence packet 7", "/Producer": "WeasyPrint, pypdf"})
    pdf = output.getvalue()[start:]

    reader = PdfReader(io.BytesIO(pdf), strict=True)
    assert [page.extract_text().split()[0] for page in reader.pages] == ["Cover", "Summary", "Exhibits"]
    assert outline_of(reader) == [
        (0, "Cover", 0, True),
        (1, "Cover detail", 0, False),
        (0, "Summary", 1, False),
        (1, "Summary detail", 1, False),
        (0, "Exhibits", 2, True),
        (1, "Exhibits detail", 2, False),
    ]
    outlines = reader.trailer["/Root"]["/Outlines"]
    assert outlines["/Count"] == 4  # the open bookmarks and the children of the open ones
    assert {name: reader.get_destination_page_number(place) for name, place in reader.named_destinations.items()} == {
        "Cover": 0,
        "Exhibits": 2,
    }
    assert reader.metadata.title == "Evidence packet 7"
    # Each cross-reference entry points at its own object, and startxref at the table.
    table = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", pdf).group(1))
    assert pdf[table:].startswith(b"xref\n0 ")
    rows = pdf[table:].split(b"\n")
    count = int(rows[1].split()[1])
    for number, row in enumerate(rows[3 : 2 + count], start=1):
        offset = int(row.split()[0])
        assert pdf[offset:].startswith(b"%d 0 obj\n" % number), number


def test_a_bookmark_that_leads_outside_the_pages_given_is_refused():
    first, second = document("Cover"), document("Exhibits")
    join = PdfJoin(io.BytesIO())
    with pytest.raises(ValueError, match="outside the pages"):
        join.add(list(first.pages), outline=second.trailer["/Root"]["/Outlines"])
