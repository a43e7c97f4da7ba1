"""Exhibit file names come from the sniffed type, never from the sender's file name, no value can break a row of
the Concordance load file, and an item carries its own exhibit number into every packet."""

import json
import re
import zipfile

import pytest

from casework.bundles.builder import DAT_DELIMITER, DAT_QUOTE, dat_value
from casework.bundles.verify_bundle import verify
from casework.evidence.samples import jpeg_bytes
from tests.bundles.conftest import build, ingest, packet_path, report_text
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

HOSTILE_NAMES = [
    "invoice\u202egpj.exe",  # shows as "invoiceexe.jpg" in a right-to-left aware file manager
    "a\x14b.j\x14pg",  # the DAT field delimiter
    "line\r\nbreak.jpg",
    "þorn.jpgþ",  # the DAT quote
    "photo.JPG\u2028.png",
]


def test_exhibits_are_named_by_their_sniffed_type_only(case, intake_worker, analyst, tmp_path):
    incident = IncidentFactory(case=case)
    for seed, name in enumerate(HOSTILE_NAMES, start=20):
        item = ingest(case, intake_worker, jpeg_bytes(seed=seed), incident, name=name)
        assert item.mime_type == "image/jpeg"
    path = packet_path(build(case, analyst, incident, "court"))
    with zipfile.ZipFile(path) as packet:
        exhibits = [name for name in packet.namelist() if name.startswith("exhibits/")]
        assert packet.testzip() is None
        dat = packet.read("loadfile.dat").decode("utf-8")
        packet.extractall(tmp_path / "unzipped")
    assert len(exhibits) == len(HOSTILE_NAMES)
    assert all(re.fullmatch(r"exhibits/CW-0042-\d{6}\.jpg", name) for name in exhibits), exhibits
    assert sorted(p.name for p in (tmp_path / "unzipped" / "exhibits").iterdir()) == sorted(
        name.split("/")[1] for name in exhibits
    )
    rows = dat.split("\r\n")
    assert rows[-1] == "" and len(rows) == len(HOSTILE_NAMES) + 2  # header, one row per exhibit, final newline
    for row in rows[:-1]:
        fields = row.split(DAT_DELIMITER)
        assert len(fields) == 10
        assert all(field.startswith(DAT_QUOTE) and field.endswith(DAT_QUOTE) and len(field) >= 2 for field in fields)
        assert all(DAT_QUOTE not in field[1:-1] for field in fields)
    assert verify(str(path)) == []


@pytest.mark.parametrize(
    "value",
    ["a\x14b", "þquoteþ", "two\r\nlines", "one\nline", "tab\there", "rlo\u202eexe", "para\u2029graph", "nul\x00"],
)
def test_no_value_can_break_a_load_file_row(value):
    safe = dat_value(value)
    assert not set(safe) & {DAT_DELIMITER, DAT_QUOTE, "\r", "\n", "\t", "\u202e", "\u2029", "\x00"}
    assert len(safe) == len(value)


def test_an_item_keeps_its_own_exhibit_number_in_every_packet(case, intake_worker, analyst):
    first_incident, second_incident = IncidentFactory(case=case), IncidentFactory(case=case)
    first = ingest(case, intake_worker, jpeg_bytes(seed=40), first_incident)
    second = ingest(case, intake_worker, jpeg_bytes(seed=41), second_incident)
    third = ingest(case, intake_worker, jpeg_bytes(seed=42), second_incident)
    assert [first.exhibit_number, second.exhibit_number, third.exhibit_number] == [
        "CW-0042-000001",
        "CW-0042-000002",
        "CW-0042-000003",
    ]

    def numbers(incident) -> tuple[dict[str, str], str]:
        path = packet_path(build(case, analyst, incident, "court"))
        with zipfile.ZipFile(path) as packet:
            manifest = json.loads(packet.read("manifest.json"))
            names = set(packet.namelist())
        exhibits = {entry["original_sha256"]: entry["exhibit"] for entry in manifest["files"] if "exhibit" in entry}
        assert {f"exhibits/{number}.jpg" for number in exhibits.values()} <= names
        return exhibits, report_text(path)

    # A packet of the second incident alone, then of the first: the numbers are the items', not the packet's.
    exhibits, report = numbers(second_incident)
    assert exhibits == {second.sha256: "CW-0042-000002", third.sha256: "CW-0042-000003"}
    assert "CW-0042-000003" in report and "CW-0042-000001" not in report
    exhibits, report = numbers(first_incident)
    assert exhibits == {first.sha256: "CW-0042-000001"}
    assert "CW-0042-000001" in report
