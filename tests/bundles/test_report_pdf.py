"""report.pdf as a court registry receives it: marked on every page, the issuer and the signing key's
fingerprint on the cover, an exhibit index with pages, review statuses, near-duplicate pairs, labels and
times a person can read, and Arabic set right to left. Checked on the rendered pages (pdftotext -bbox gives
each word's position) and kept as PNG in test-artifacts/screenshots/."""

import dataclasses
import datetime
import io
import re
import subprocess
import tempfile
import xml.etree.ElementTree as ElementTree
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader

from casework.bundles import profiles, report
from casework.bundles.models import BundleScope, RedactionProfile
from casework.bundles.verify_bundle import check
from casework.evidence.models import (
    DuplicateStatus,
    MediaItem,
    MediaKind,
    MediaSource,
    NearDuplicate,
    ProcessingState,
    VerificationStatus,
)
from casework.evidence.samples import jpeg_bytes, scene_image
from casework.evidence.services import media_review, near_duplicate_review
from casework.incidents.models import (
    AgeBand,
    AttributionConfidence,
    CombatantStatus,
    DatePrecision,
    Incident,
    Sex,
    VictimStatus,
)
from casework.witnesses.models import InterviewMethod, ReviewStatus, Testimony, TestimonyTranslation
from tests.bundles.conftest import (
    REAL_NAME,
    build,
    ingest,
    make_evidence,
    packet_path,
    pdf_text,
    whole_packet_text,
)
from tests.factories import VictimFactory

pytestmark = pytest.mark.django_db

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
A4_WIDTH = 595.28
MARGIN = 15 / 25.4 * 72  # the report's left and right page margins, 15 mm, in points
ARABIC = "شاهدت الغارة على السوق."
ARABIC_SECOND = "كان الناس يشترون الخبز عندما سقطت القنابل، وهرعنا إلى المسجد."
ENGLISH = "I saw the strike on the market."
NAMES = {
    "first": "IMG_900.jpg",
    "market": "صورة السوق 905.jpg",
    "small": "Market-small\u202egpj.exe",  # a right-to-left override: shown written out, not obeyed
}
# Every stored code a report could print instead of its label.
CODED = [
    InterviewMethod,
    ReviewStatus,
    MediaKind,
    MediaSource,
    ProcessingState,
    VerificationStatus,
    DuplicateStatus,
    DatePrecision,
    Sex,
    AgeBand,
    CombatantStatus,
    VictimStatus,
    AttributionConfidence,
    BundleScope,
]
RAW_CODES = sorted({value for choices in CODED for value in choices.values if "_" in value})


@dataclass
class Word:
    text: str
    x_min: float
    y_min: float
    x_max: float
    y_max: float

    @property
    def logical(self) -> str:
        """pdftotext -bbox gives right-to-left words in visual (reversed) order."""
        return self.text[::-1] if re.search(r"[\u0590-\u08ff]", self.text) else self.text


@dataclass
class Page:
    number: int
    height: float
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(word.logical for word in self.words)

    def line_of(self, word: Word) -> list[Word]:
        """The words beside `word`: their vertical middle within its height (the sizes of a line can differ)."""
        return [other for other in self.words if word.y_min < (other.y_min + other.y_max) / 2 < word.y_max]

    def find(self, text: str) -> list[Word]:
        return [word for word in self.words if word.logical == text]


def pages_of(pdf: bytes) -> list[Page]:
    xhtml = subprocess.run(
        ["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, timeout=60, check=True
    ).stdout
    namespace = {"x": "http://www.w3.org/1999/xhtml"}
    pages = []
    for number, page in enumerate(ElementTree.fromstring(xhtml).iterfind(".//x:page", namespace), start=1):
        words = [
            Word(word.text or "", *(float(word.get(key)) for key in ("xMin", "yMin", "xMax", "yMax")))
            for word in page.iterfind("x:word", namespace)
        ]
        pages.append(Page(number, float(page.get("height")), words))
    return pages


def report_pdf(bundle) -> bytes:
    with zipfile.ZipFile(packet_path(bundle)) as packet:
        return packet.read("report.pdf")


def save_screenshots(pdf: bytes, name: str, pages: int = 2) -> list[Path]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    saved = []
    for page in range(1, pages + 1):
        prefix = SCREENSHOTS / f"{name}-p{page}"
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", "-f", str(page), "-l", str(page), "-singlefile", "-", str(prefix)],
            input=pdf,
            capture_output=True,
            timeout=60,
            check=True,
        )
        saved.append(prefix.with_suffix(".png"))
    return saved


def make_packet_material(case, intake_worker, reviewer):
    """The incident of make_evidence (day unknown, December 2019) with a victim, the witness's Arabic testimony
    (two paragraphs, by messaging app, submitted) and its English translation, and two photos that are
    near-duplicates of each other (the smaller one with its capture zone), one of them verified."""
    incident, witness, item, activist, _photo = make_evidence(
        case, intake_worker, consent_scopes=("courts", "media_public")
    )
    Incident.objects.filter(pk=incident.pk).update(
        start_time=datetime.datetime(2019, 12, 1, tzinfo=datetime.UTC), date_precision=DatePrecision.UNKNOWN_DAY
    )
    VictimFactory(incident=incident, name="Sami", sex="male", age=7, age_band="child")
    testimony = Testimony.objects.get(witness=witness)
    Testimony.objects.filter(pk=testimony.pk).update(
        method=InterviewMethod.MESSAGING_APP, status=ReviewStatus.SUBMITTED, original_text=f"{ARABIC}\n{ARABIC_SECOND}"
    )
    TestimonyTranslation.objects.create(
        testimony=testimony, language="en", text=f"{ENGLISH}\nPeople were buying bread when the bombs fell."
    )
    item.original_filename = NAMES["first"]
    item.save(update_fields=["original_filename"])
    market = ingest(case, intake_worker, jpeg_bytes(seed=905), incident, name=NAMES["market"])
    small = ingest(
        case,
        intake_worker,
        jpeg_bytes(
            image=scene_image(905).resize((640, 480)),
            capture_time=datetime.datetime(2017, 9, 19, 10, 40),
            utc_offset="+03:00",
        ),
        incident,
        name=NAMES["small"],
    )
    pair = NearDuplicate.objects.get(first=market, second=small)
    near_duplicate_review(pair=pair, reviewer=reviewer, confirmed=True)
    media_review(item=market, reviewer=reviewer, verified=True, notes="")
    items = [item, activist, market, small]
    for each in items:
        each.refresh_from_db()
    return incident, items


def test_court_report_is_marked_on_every_page_with_the_issuer_and_the_key_fingerprint_on_the_cover(
    case, intake_worker, reviewer, analyst, settings, layout
):
    # Quotes, a backslash and "</style>" must not break the page margins' CSS.
    settings.CASEWORK_ORGANISATION_NAME = 'Idlib "Documentation" </style> Centre \\ مركز'
    incident, _items = make_packet_material(case, intake_worker, reviewer)
    bundle = build(case, analyst, incident, "court")
    pdf = report_pdf(bundle)
    saved = save_screenshots(pdf, "report-court")
    assert all(path.stat().st_size > 10_000 for path in saved)

    pages = pages_of(pdf)
    assert len(pages) >= 3
    for page in pages:
        top = [word for word in page.words if word.y_max < 20 / 25.4 * 72]  # in the top margin
        bottom = [word for word in page.words if word.y_min > page.height - 17 / 25.4 * 72]
        assert "CONFIDENTIAL" in [word.text for word in top], f"page {page.number} has no marking at the top"
        assert "CONFIDENTIAL" in [word.text for word in bottom], f"page {page.number} has no marking at the bottom"
        header = " ".join(word.logical for word in top)
        assert 'Idlib "Documentation" </style> Centre \\' in header, header
        assert f"{page.number} / {len(pages)}" in " ".join(word.text for word in bottom)
        assert "PUBLIC" not in page.text

    cover = pages[0].text
    fingerprint = check(str(packet_path(bundle))).key_fingerprint
    assert len(fingerprint) == 64 and fingerprint in cover.split()  # as verify_bundle.py prints it, unbroken
    assert 'Idlib "Documentation" </style> Centre' in cover
    assert "Evidence packet" in cover and "For the named recipient only." in cover
    assert "4 files; 0 items left out under this profile" in cover
    # The bookmarks of every part, in order.
    outline = [item.title for item in flattened(PdfReader(io.BytesIO(pdf)).outline)]
    assert outline[:2] == [f"Evidence packet {bundle.pk}", "Summary"], outline
    sections = [title for title in outline if title in ("Incidents", "Testimonies", "Exhibit index", "Exhibits")]
    assert sections == ["Incidents", "Testimonies", "Exhibit index", "Exhibits"], outline
    assert [title.split(" · ")[0] for title in outline if " · " in title] == [
        f"CW-0042-{index:06d}" for index in range(1, 5)
    ], outline


def flattened(outline) -> list:
    return [entry for item in outline for entry in (flattened(item) if isinstance(item, list) else [item])]


def test_arabic_paragraphs_are_set_right_to_left_and_translations_left_to_right(
    case, intake_worker, reviewer, analyst, layout
):
    incident, _items = make_packet_material(case, intake_worker, reviewer)
    pages = pages_of(report_pdf(build(case, analyst, incident, "court")))
    (page,) = [page for page in pages if page.find("شاهدت")]
    first_word = page.find("شاهدت")[0]
    line = page.line_of(first_word)
    # Reading order: right to left, the first word rightmost and the full stop at the left end.
    assert [word.logical for word in sorted(line, key=lambda word: -word.x_max)] == ARABIC.split()
    right_edge = A4_WIDTH - MARGIN
    assert right_edge - 10 / 25.4 * 72 < first_word.x_max <= right_edge, "the paragraph is not right-aligned"
    assert min(word.x_min for word in line) > A4_WIDTH / 2  # a short line stays on the right
    ((other_page, kana),) = [(page, word) for page in pages for word in page.find("كان")]
    second = other_page.line_of(kana)
    assert max(word.x_max for word in second) == pytest.approx(first_word.x_max, abs=2)  # both flush right
    assert kana.x_max == max(word.x_max for word in second)  # its first word at the right

    ((page, saw),) = [(page, word) for page in pages for word in page.find("saw") if page.line_of(word)[0].text == "I"]
    english = page.line_of(saw)
    assert " ".join(word.text for word in english) == ENGLISH
    assert english[0].x_min < MARGIN + 10 / 25.4 * 72, "the translation is not left-aligned"


def test_the_exhibit_index_lists_number_kind_name_hash_review_and_page(case, intake_worker, reviewer, analyst, layout):
    incident, items = make_packet_material(case, intake_worker, reviewer)
    bundle = build(case, analyst, incident, "court")
    pdf = report_pdf(bundle)
    pages = pages_of(pdf)
    with zipfile.ZipFile(packet_path(bundle)) as packet:
        manifest_text = packet.read("manifest.json").decode()
    numbers = [f"CW-0042-{index:06d}" for index in range(1, 5)]
    in_reading_order = [
        (page, word) for page in pages for word in sorted(page.words, key=lambda word: (word.y_min, word.x_min))
    ]
    # Exhibit numbers that start a line followed by "·": first the index entries, last the exhibit headings.
    starts = [
        (page, word)
        for page, word in in_reading_order
        if word.text in numbers
        and word.x_min < MARGIN + 5
        and [other.text for other in sorted(page.line_of(word), key=lambda other: other.x_min)][1:2] == ["·"]
    ]
    for number, item in zip(numbers, items, strict=True):
        (index_page, entry), *_, (heading_page, _heading) = [(p, w) for p, w in starts if w.text == number]
        assert index_page.number < heading_page.number
        first_line = " ".join(w.logical for w in sorted(index_page.line_of(entry), key=lambda w: w.x_min))
        assert "Photo" in first_line
        assert ("Verified" if item.verification_status == "verified" else "Not reviewed") in first_line
        # The line below: the SHA-256 of the file in the packet, and the page of the exhibit's description.
        (hash_word,) = [w for w in index_page.words if w.text == item.sha256]
        assert 0 < hash_word.y_min - entry.y_min < 20
        hash_line = [w.text for w in sorted(index_page.line_of(hash_word), key=lambda w: w.x_min)]
        assert hash_line[-2:] == ["page", str(heading_page.number)], (number, hash_line)
        assert item.sha256 in manifest_text
    whole = "\n".join(page.text for page in pages)
    flat = "".join(whole.split())
    assert "IMG_900.jpg" in flat and "صورة السوق" in pdf_text(pdf) and "905" in flat
    assert "Market-small[U+202E]gpj.exe" in flat and "\u202e" not in whole
    # The near-duplicate pair, with its reviewed status, in its own section and in each exhibit's block.
    assert "Possible duplicates among the exhibits" in whole
    assert re.search(r"CW-0042-000003 CW-0042-000004 \d+ Confirmed duplicate", whole), whole
    assert "CW-0042-000004 (Confirmed duplicate)" in whole and "CW-0042-000003 (Confirmed duplicate)" in whole


@pytest.mark.parametrize("profile", [RedactionProfile.COURT, RedactionProfile.PUBLIC])
def test_reports_show_labels_and_times_as_recorded_never_codes(case, intake_worker, reviewer, analyst, profile):
    incident, _items = make_packet_material(case, intake_worker, reviewer)
    whole = "\n".join(page.text for page in pages_of(report_pdf(build(case, analyst, incident, profile))))
    for code in RAW_CODES:
        assert code not in whole, f"raw code {code!r} in the {profile} report"
    assert "Messaging app" in whole and "Review status: Submitted for review." in whole
    assert "in Arabic" in whole and "Translation (English):" in whole
    assert "December 2019 (Day unknown)" in whole
    assert "1 December 2019" not in whole and "Dec. 1, 2019" not in whole and "midnight" not in whole
    assert "Arabic" in whole and "Confirmed duplicate" in whole
    assert re.search(r"acquired \d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d UTC by", whole)
    if profile == RedactionProfile.COURT:
        assert "19 September 2017, 10:00 (time zone unknown)" in whole  # the witness's photo: no zone in it
        assert "19 September 2017, 07:40 UTC" in whole  # 10:40 at +03:00
        assert "35.81, 36.61" in whole and "Sami" in whole


def test_public_report_is_marked_public_and_names_no_original_file(case, intake_worker, reviewer, analyst, layout):
    incident, _items = make_packet_material(case, intake_worker, reviewer)
    bundle = build(case, analyst, incident, "public")
    pdf = report_pdf(bundle)
    save_screenshots(pdf, "report-public", pages=1)
    pages = pages_of(pdf)
    for page in pages:
        top = [word.text for word in page.words if word.y_max < 20 / 25.4 * 72]
        assert "PUBLIC" in top and "CONFIDENTIAL" not in page.text
    whole = "\n".join(page.text for page in pages)
    assert "Redacted for publication" in pages[0].text
    assert "Original file name" not in whole
    packet = whole_packet_text(packet_path(bundle))
    for name in ["IMG_900", "x.jpg", "905.jpg", "Market-small", "gpj.exe"]:
        assert name not in whole and name not in packet, name
    assert "Sami" not in whole and "35.81" not in whole and "Samsung" not in whole
    assert "metadata-free copy" in whole


def test_original_file_names_follow_the_profile_rule(case, intake_worker, reviewer, analyst, monkeypatch, layout):
    incident, _items = make_packet_material(case, intake_worker, reviewer)
    court = profiles.rules_for(RedactionProfile.COURT)
    monkeypatch.setitem(
        profiles.PROFILE_RULES, RedactionProfile.COURT, dataclasses.replace(court, shows_original_filenames=False)
    )
    whole = "\n".join(page.text for page in pages_of(report_pdf(build(case, analyst, incident, "court"))))
    assert "Original file name" not in whole and "IMG_900" not in whole and "905.jpg" not in whole
    assert "CONFIDENTIAL" in whole and "35.81, 36.61" in whole  # the rest of the court profile holds


@pytest.mark.parametrize("layout", ["in parts"], indirect=True)
def test_a_public_report_in_many_parts_keeps_its_page_numbers_bookmarks_and_redaction(
    case, intake_worker, reviewer, analyst, layout
):
    incident, items = make_packet_material(case, intake_worker, reviewer)
    bundle = build(case, analyst, incident, "public")
    pdf = report_pdf(bundle)
    pages = pages_of(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(pages) == len(reader.pages) >= 6  # the cover, two index parts, one part per exhibit
    for page in pages:
        bottom = " ".join(word.text for word in page.words if word.y_min > page.height - 17 / 25.4 * 72)
        assert f"{page.number} / {len(pages)}" in bottom, f"page {page.number}: {bottom}"
    # Every part's bookmarks, in order, each leading to the page of its heading.
    bookmarks = flattened(reader.outline)
    titles = [bookmark.title for bookmark in bookmarks]
    assert titles[:2] == [f"Evidence packet {bundle.pk}", "Summary"], titles
    assert [title for title in titles if title in ("Incidents", "Testimonies", "Exhibit index", "Exhibits")] == [
        "Incidents",
        "Testimonies",
        "Exhibit index",
        "Exhibits",
    ], titles
    exhibit_bookmarks = [bookmark for bookmark in bookmarks if " · " in bookmark.title]
    assert len(exhibit_bookmarks) == len(items)  # one per exhibit, each in a part of its own
    for bookmark in exhibit_bookmarks:
        number = bookmark.title.split(" · ")[0]
        # Lines that start with the exhibit number and "·": its index entry first, its heading last.
        *_index_entries, heading_page = [
            page.number
            for page in pages
            for word in page.find(number)
            if word.x_min < MARGIN + 5
            and [other.text for other in sorted(page.line_of(word), key=lambda other: other.x_min)][1:2] == ["·"]
        ]
        assert reader.get_destination_page_number(bookmark) + 1 == heading_page, bookmark.title
    assert titles.index("Exhibits") < titles.index(exhibit_bookmarks[0].title)
    # The redaction holds in every part: no witness's or victim's name, no file name, no place, no device.
    packet = whole_packet_text(packet_path(bundle))
    for hidden in [REAL_NAME, "Sami", "IMG_900", "905.jpg", "Market-small", "35.81", "Samsung"]:
        assert hidden not in packet, hidden
    assert all("PUBLIC" in page.text and "CONFIDENTIAL" not in page.text for page in pages)


@pytest.mark.parametrize(
    ("text", "css"),
    [
        ("Casework", '"Casework"'),
        ('A "quoted" name', '"A \\22 quoted\\22  name"'),
        ("</style><script>", '"\\3c /style\\3e \\3c script\\3e "'),
        ("back\\slash\nline", '"back\\5c slash\\a line"'),
        ("مركز التوثيق", '"مركز التوثيق"'),
    ],
)
def test_page_margin_strings_cannot_end_their_css_string(text, css):
    assert report.css_string(text) == css


@pytest.mark.parametrize("known", [True, False])
def test_the_capture_zone_is_known_only_when_the_file_gave_it(known):
    assert report.capture_zone_known(MediaItem(capture_time_zone_known=known)) is known


def test_the_report_parts_wait_on_the_evidence_storage_not_in_the_system_temporary_folder(
    case, intake_worker, reviewer, analyst, monkeypatch, tmp_path, settings
):
    # The media folder may be on an encrypted volume while the system's temporary folder is not: the report's
    # parts (names, places, testimonies) must not be written there even for a moment.
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "incoming")
    system_temporary = tmp_path / "system-tmp"
    system_temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_temporary))
    folders_made = []
    real_mkdtemp = tempfile.mkdtemp

    def recording_mkdtemp(*args, **kwargs):
        folders_made.append(Path(real_mkdtemp(*args, **kwargs)))
        return str(folders_made[-1])

    monkeypatch.setattr(tempfile, "mkdtemp", recording_mkdtemp)
    incident, _items = make_packet_material(case, intake_worker, reviewer)
    bundle = build(case, analyst, incident, "court")

    assert pages_of(report_pdf(bundle))  # the report was made
    report_folders = [folder for folder in folders_made if folder.name.startswith("report-")]
    assert report_folders and all(folder.parent == tmp_path / "incoming" for folder in report_folders)
    assert list(system_temporary.iterdir()) == []
    assert not any(folder.exists() for folder in report_folders)  # removed once the report is written
