"""Generated sample media with known metadata, for the demo and the tests. Nothing is downloaded."""

import io
import random
import shutil
import struct
import subprocess
from datetime import datetime
from fractions import Fraction
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
# Tags that name a person or single out a device, as cameras and editors write them.
ARTIST, COPYRIGHT = 0x013B, 0x8298  # in IFD0
CAMERA_OWNER_NAME, BODY_SERIAL_NUMBER, LENS_SERIAL_NUMBER = 0xA430, 0xA431, 0xA435  # in the EXIF IFD
XMP_CREATOR_PACKET = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "<dc:creator><rdf:Seq><rdf:li>{creator}</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF>"
    '</x:xmpmeta><?xpacket end="w"?>'
)


def _dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = Fraction(round((value - degrees - minutes / 60) * 3600 * 10000), 10000)
    return Fraction(degrees), Fraction(minutes), seconds


def scene_image(seed: int, size: tuple[int, int] = (960, 720)) -> Image.Image:
    """A picture of random shapes: different seeds give perceptually different images."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(14):
        x0, y0 = rng.randrange(size[0]), rng.randrange(size[1])
        x1, y1 = x0 + rng.randrange(60, size[0] // 2), y0 + rng.randrange(60, size[1] // 2)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.rectangle([x0, y0, x1, y1], fill=colour)
        else:
            draw.ellipse([x0, y0, x1, y1], fill=colour)
    return image


def jpeg_bytes(
    *,
    seed: int = 1,
    capture_time: datetime | None = None,
    utc_offset: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    make: str = "",
    model: str = "",
    software: str = "",
    artist: str = "",
    copyright: str = "",
    owner_name: str = "",
    body_serial_number: str = "",
    lens_serial_number: str = "",
    xmp_creator: str = "",
    size: tuple[int, int] = (960, 720),
    image: Image.Image | None = None,
    orientation: int | None = None,
    comment: bytes = b"",
) -> bytes:
    """A JPEG with the given EXIF capture time (with `utc_offset` as OffsetTimeOriginal, or no zone), GPS
    position, device, orientation, people's details (artist, copyright, owner, serial numbers, an XMP
    dc:creator) and a JPEG comment."""
    exif = Image.Exif()
    for tag, value in ((0x010F, make), (0x0110, model), (0x0131, software), (ARTIST, artist), (COPYRIGHT, copyright)):
        if value:
            exif[tag] = value
    if orientation is not None:
        exif[0x0112] = orientation
    exif_ifd: dict[int, str] = {}
    if capture_time is not None:
        stamp = capture_time.strftime("%Y:%m:%d %H:%M:%S")
        exif[0x0132] = stamp
        exif_ifd.update({0x9003: stamp, 0x9004: stamp})
        if utc_offset:
            exif_ifd[0x9011] = utc_offset
    for tag, value in (
        (CAMERA_OWNER_NAME, owner_name),
        (BODY_SERIAL_NUMBER, body_serial_number),
        (LENS_SERIAL_NUMBER, lens_serial_number),
    ):
        if value:
            exif_ifd[tag] = value
    if exif_ifd:
        exif[EXIF_IFD] = exif_ifd
    if latitude is not None and longitude is not None:
        exif[GPS_IFD] = {
            0: b"\x02\x03\x00\x00",
            1: "N" if latitude >= 0 else "S",
            2: _dms(latitude),
            3: "E" if longitude >= 0 else "W",
            4: _dms(longitude),
        }
    extra = {"xmp": XMP_CREATOR_PACKET.format(creator=xmp_creator).encode("utf-8")} if xmp_creator else {}
    if comment:
        extra["comment"] = comment
    buffer = io.BytesIO()
    (image or scene_image(seed, size)).save(buffer, "JPEG", quality=88, exif=exif, **extra)
    return buffer.getvalue()


def write_jpeg(path: Path, **options) -> Path:
    """jpeg_bytes(**options) written to `path`."""
    path.write_bytes(jpeg_bytes(**options))
    return path


def write_video(
    path: Path,
    *,
    seconds: float = 2.0,
    size: str = "320x240",
    rate: int = 25,
    pattern: str = "testsrc2",
    creation_time: str | None = None,
    codec: str = "libx264",
    faststart: bool = False,
    metadata: dict[str, str] | None = None,
    keyframe_every: int | None = None,
    extra: tuple[str, ...] = (),
) -> Path:
    """A short H.264 MP4 made by ffmpeg's test sources (Debian `ffmpeg`, installed by bin/setup).

    `faststart` puts the index (moov) before the media data, as streaming and messaging apps do; `metadata`
    adds container tags (`com.apple.quicktime.*` keys are written as Apple's).
    """
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg is not installed (bin/setup installs it)")
    command = [
        ffmpeg,
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"{pattern}=size={size}:rate={rate}:duration={seconds}",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=440:duration={seconds}",
        "-c:v",
        codec,
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
    ]
    if keyframe_every is not None:
        command += ["-g", str(keyframe_every)]
    if creation_time:
        command += ["-metadata", f"creation_time={creation_time}"]
    for key, value in (metadata or {}).items():
        command += ["-metadata", f"{key}={value}"]
    if metadata and any(key.startswith("com.apple.quicktime.") for key in metadata):
        command += ["-movflags", "use_metadata_tags" + ("+faststart" if faststart else "")]
    elif faststart:
        command += ["-movflags", "+faststart"]
    subprocess.run([*command, *extra, str(path)], check=True, timeout=120)
    return path


def extract_audio(source: Path, target: Path) -> Path:
    """The sound track of a video, as a recording app would save it (AAC in an M4A container)."""
    command = ["ffmpeg", "-v", "error", "-y", "-i", str(source), "-vn", "-c:a", "copy", str(target)]
    subprocess.run(command, check=True, timeout=120)
    return target


def _top_level_boxes(data: bytes) -> list[tuple[bytes, int, int, int]]:
    """(type, offset, header size, total size) of each top-level box of an MP4/QuickTime file."""
    boxes = []
    position = 0
    while position + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[position : position + 8])
        header = 8
        if size == 1:
            size = struct.unpack(">Q", data[position + 8 : position + 16])[0]
            header = 16
        elif size == 0:
            size = len(data) - position
        boxes.append((kind, position, header, size))
        position += size
    return boxes


def truncate_media_data(source: Path, destination: Path, *, keep: float = 1 / 3) -> Path:
    """A copy of an MP4 cut off after `keep` of its media data, its index intact: what an interrupted download
    or copy of a faststart file leaves. Its container still declares the full duration. `source` must have
    its index before the media data (write_video(faststart=True))."""
    data = source.read_bytes()
    boxes = {kind: (offset, header, size) for kind, offset, header, size in _top_level_boxes(data)}
    if b"mdat" not in boxes or b"moov" not in boxes or boxes[b"moov"][0] > boxes[b"mdat"][0]:
        raise ValueError("the video needs its index (moov) before its media data (mdat): use faststart=True")
    offset, header, size = boxes[b"mdat"]
    destination.write_bytes(data[: offset + header + int((size - header) * keep)])
    return destination


def reencode_video(source: Path, destination: Path, *, size: str = "240x180", rate: int = 15, crf: int = 32) -> Path:
    """The same clip re-encoded smaller, as a messaging app or a re-post would."""
    width, height = size.split("x")
    subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(source),
            "-vf",
            f"scale={width}:{height}",
            "-r",
            str(rate),
            "-c:v",
            "libx264",
            "-crf",
            str(crf),
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "48k",
            str(destination),
        ],
        check=True,
        timeout=120,
    )
    return destination


def pdf_bytes(*, seed: int = 1) -> bytes:
    """A one-page PDF (a scene drawn by Pillow), as a scanned document would arrive."""
    buffer = io.BytesIO()
    scene_image(seed, size=(620, 877)).save(buffer, "PDF", resolution=72)
    return buffer.getvalue()


# Debian's fonts-noto-core (installed by bin/setup): a naskh face for Arabic, a sans face for Latin text.
ARABIC_FONT = "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf"
LATIN_FONT = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"
DOCUMENT_LINES = (
    ("en", "Hospital entrance damaged"),
    ("ar", "مدخل السوق الشعبي"),
    ("en", "Report 2017 Idlib"),
)


def document_image(lines=DOCUMENT_LINES, *, size: tuple[int, int] = (1400, 560)) -> Image.Image:
    """A photographed page: each (language, text) line drawn in its script's font, Arabic right-aligned and
    shaped (Pillow's raqm layout), on off-white paper."""
    image = Image.new("RGB", size, (246, 244, 238))
    draw = ImageDraw.Draw(image)
    arabic, latin = ImageFont.truetype(ARABIC_FONT, 56), ImageFont.truetype(LATIN_FONT, 48)
    for row, (language, text) in enumerate(lines):
        top = 60 + row * (size[1] - 120) // max(1, len(lines))
        if language == "ar":
            draw.text((size[0] - 60, top), text, font=arabic, fill="black", direction="rtl", language="ar", anchor="ra")
        else:
            draw.text((60, top), text, font=latin, fill="black")
    return image


def document_photo_bytes(lines=DOCUMENT_LINES, **options) -> bytes:
    """document_image() as a camera JPEG (with the options of jpeg_bytes: capture time, GPS...)."""
    return jpeg_bytes(image=document_image(lines), **options)


def scanned_pdf_bytes(lines=DOCUMENT_LINES) -> bytes:
    """document_image() as a one-page PDF holding only the picture: a scan without a text layer."""
    buffer = io.BytesIO()
    document_image(lines, size=(1400, 1980)).convert("L").save(buffer, "PDF", resolution=150)
    return buffer.getvalue()
