"""PDF documents joined page by page into one file that is written as it goes: each document's pages and the
objects they use are written out when the document is added, so joining holds one document at a time, never
the whole. Each document's bookmarks (titles, nesting, open or closed, places) and named destinations are
kept and written at the end."""

from collections import deque
from dataclasses import dataclass, field
from typing import BinaryIO

from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject, TextStringObject

_CATALOG, _PAGES = 1, 2
# A bookmark's links to its neighbours, parent and children: written anew for the joined outline.
_BOOKMARK_LINKS = {"/Parent", "/Prev", "/Next", "/First", "/Last", "/Count"}


@dataclass
class _Bookmark:
    entries: bytes  # its own entries as written (title, destination...), their pages already renumbered
    closed: bool
    children: list["_Bookmark"] = field(default_factory=list)


class PdfJoin:
    """`add` each document's pages in order, then `finish`. Objects are numbered in the order they are first
    reached from a page; a page's /Parent becomes the joined page tree."""

    def __init__(self, output: BinaryIO):
        self._output = output
        self._written = 0  # bytes written so far: the offsets count from the header, wherever `output` is
        self._offsets: list[int] = [0, 0, 0]  # each object's byte offset, by object number (0 is not one)
        self._page_numbers: list[int] = []
        self._bookmarks: list[_Bookmark] = []
        self._names: list[tuple[str, bytes, bytes]] = []  # each name, as written, and its destination
        self._write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def add(self, pages: list, outline: DictionaryObject | None = None, names: ArrayObject | None = None) -> None:
        """Write `pages` (pypdf pages) and every object they use. `outline` (an /Outlines dictionary) and
        `names` (a /Dests name array: name, destination, name...) may point at these pages only."""
        copier = _Copier(self)
        self._page_numbers += [copier.number_of(page.indirect_reference) for page in pages]
        copier.write_pending()
        if outline is not None:
            self._bookmarks += _bookmarks(outline.get("/First"), copier)
        if names is not None:
            names = names.get_object()
            for position in range(0, len(names) - 1, 2):
                name, destination = names[position].get_object(), names[position + 1].get_object()
                self._names.append((str(name), _bytes(name), copier.serialized(destination)))
        if copier.pending:
            raise ValueError("a bookmark or a named destination points outside the pages")

    def finish(self, info: dict[str, str]) -> None:
        """The page tree, the bookmarks, the named destinations, the catalog, `info` (/Title...) and the
        cross-reference table."""
        kids = b" ".join(b"%d 0 R" % number for number in self._page_numbers)
        self.write_object(_PAGES, b"<</Type /Pages /Kids [%s] /Count %d>>" % (kids, len(self._page_numbers)))
        catalog = b"<</Type /Catalog /Pages %d 0 R" % _PAGES
        if self._bookmarks:
            root = self.new_number()
            first, last, shown = self._write_bookmarks(self._bookmarks, root)
            self.write_object(root, b"<</Type /Outlines /First %d 0 R /Last %d 0 R /Count %d>>" % (first, last, shown))
            catalog += b" /Outlines %d 0 R" % root
        if self._names:
            self._names.sort(key=lambda named: named[0])  # a name tree's names are in order
            pairs = b" ".join(name + b" " + destination for _text, name, destination in self._names)
            catalog += b" /Names <</Dests <</Names [%s]>>>>" % pairs
        self.write_object(_CATALOG, catalog + b">>")
        info_number = self.new_number()
        entries = b" ".join(
            _bytes(NameObject(key)) + b" " + _bytes(TextStringObject(value)) for key, value in info.items()
        )
        self.write_object(info_number, b"<<%s>>" % entries)
        table = self._written
        rows = [b"xref\n0 %d\n0000000000 65535 f \n" % len(self._offsets)]
        rows += [b"%010d 00000 n \n" % offset for offset in self._offsets[1:]]
        self._write(b"".join(rows))
        self._write(
            b"trailer\n<</Size %d /Root %d 0 R /Info %d 0 R>>\nstartxref\n%d\n%%%%EOF\n"
            % (len(self._offsets), _CATALOG, info_number, table)
        )

    def _write_bookmarks(self, bookmarks: list[_Bookmark], parent: int) -> tuple[int, int, int]:
        """Write sibling `bookmarks` under `parent`: the first's and the last's object numbers, and how many
        bookmarks show when the parent is open."""
        numbers = [self.new_number() for _bookmark in bookmarks]
        shown = len(bookmarks)
        for position, (bookmark, number) in enumerate(zip(bookmarks, numbers, strict=True)):
            entries = bookmark.entries + b" /Parent %d 0 R" % parent
            if position:
                entries += b" /Prev %d 0 R" % numbers[position - 1]
            if position + 1 < len(numbers):
                entries += b" /Next %d 0 R" % numbers[position + 1]
            if bookmark.children:
                first, last, count = self._write_bookmarks(bookmark.children, number)
                entries += b" /First %d 0 R /Last %d 0 R /Count %d" % (
                    first,
                    last,
                    -count if bookmark.closed else count,
                )
                shown += 0 if bookmark.closed else count
            self.write_object(number, b"<<" + entries + b">>")
        return numbers[0], numbers[-1], shown

    def new_number(self) -> int:
        self._offsets.append(0)
        return len(self._offsets) - 1

    def write_object(self, number: int, body: bytes) -> None:
        self._offsets[number] = self._written
        self._write(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    def _write(self, data: bytes) -> None:
        self._output.write(data)
        self._written += len(data)


class _Copier:
    """Copies one document's objects into the join, numbering each the first time it is reached."""

    def __init__(self, join: PdfJoin):
        self.join = join
        self.numbers: dict[tuple[int, int], int] = {}
        self.pending: deque = deque()

    def number_of(self, reference: IndirectObject) -> int:
        key = (id(reference.pdf), reference.idnum)
        if key not in self.numbers:
            self.numbers[key] = self.join.new_number()
            self.pending.append((self.numbers[key], reference.get_object()))
        return self.numbers[key]

    def write_pending(self) -> None:
        while self.pending:
            number, value = self.pending.popleft()
            if isinstance(value, StreamObject):
                entries = {key: item for key, item in value.items() if key != "/Length"}
                entries["/Length"] = len(value._data)
                body = self.serialized(entries) + b"\nstream\n" + value._data + b"\nendstream"
            elif isinstance(value, DictionaryObject) and value.get("/Type") == "/Page":
                entries = {key: item for key, item in value.items() if key != "/Parent"}
                body = self.serialized(entries)[:-2] + b"/Parent %d 0 R>>" % _PAGES
            else:
                body = self.serialized(value)
            self.join.write_object(number, body)

    def serialized(self, value) -> bytes:
        buffer = bytearray()
        self._serialize(value, buffer)
        return bytes(buffer)

    def _serialize(self, value, buffer: bytearray) -> None:
        if isinstance(value, IndirectObject):
            buffer += b"%d 0 R" % self.number_of(value)
        elif isinstance(value, StreamObject):  # a direct stream (a merged page's contents) is made indirect
            number = self.join.new_number()
            self.pending.append((number, value))
            buffer += b"%d 0 R" % number
        elif isinstance(value, dict):
            buffer += b"<<"
            for key, item in value.items():
                buffer += _bytes(NameObject(key)) + b" "
                self._serialize(item, buffer)
                buffer += b"\n"
            buffer += b">>"
        elif isinstance(value, list):
            buffer += b"["
            for position, item in enumerate(value):
                buffer += b" " if position else b""
                self._serialize(item, buffer)
            buffer += b"]"
        elif isinstance(value, int) and not hasattr(value, "write_to_stream"):
            buffer += b"%d" % value
        else:
            value.write_to_stream(_Appender(buffer))


def _bookmarks(first, copier: _Copier) -> list[_Bookmark]:
    bookmarks = []
    item = first.get_object() if first is not None else None
    while item is not None:
        own = {key: value for key, value in item.items() if key not in _BOOKMARK_LINKS}
        bookmarks.append(
            _Bookmark(
                entries=copier.serialized(own)[2:-2],
                closed=int(item.get("/Count", 0)) < 0,
                children=_bookmarks(item.get("/First"), copier),
            )
        )
        item = item["/Next"].get_object() if "/Next" in item else None
    return bookmarks


def _bytes(value) -> bytes:
    buffer = bytearray()
    value.write_to_stream(_Appender(buffer))
    return bytes(buffer)


class _Appender:
    def __init__(self, buffer: bytearray):
        self.buffer = buffer

    def write(self, data: bytes) -> int:
        self.buffer += data
        return len(data)
