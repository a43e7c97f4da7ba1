"""The sandboxed media parser: reads JSON requests on stdin, answers one JSON line each on stdout.

Started by sandbox.py as `python -I .../child.py --memory-limit-mb N` with an environment that holds no
credentials. It limits its own address space at start and its CPU time per file, and must never import
Django or the `casework` package (which would load the settings and their secrets). Everything it reads
is hostile until proven otherwise: it only reads the original and writes only into the derived folder.

A refusal is answered as {"ok": false, "failure": <code>, "details": {...}}; the parent turns the code into
a sentence and decides quarantine (sandbox.FAILURES).
"""

import os
import sys

# Recorded before anything below changes it, for the diagnostics request.
STARTING_ENVIRONMENT_KEYS = sorted(os.environ)
# OpenBLAS (via numpy) would otherwise start one thread per core, each reserving address space that counts
# against the memory limit: on a large machine that alone exceeds it. Tesseract's OpenMP likewise.
os.environ.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", OMP_THREAD_LIMIT="1")

import argparse  # noqa: E402
import ctypes  # noqa: E402
import errno  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import mmap  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
import zipfile  # noqa: E402
from concurrent.futures import Future, ThreadPoolExecutor  # noqa: E402
from datetime import UTC, datetime, timedelta, timezone  # noqa: E402
from fractions import Fraction  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, BinaryIO  # noqa: E402

import imagehash  # noqa: E402
import magic  # noqa: E402
from exiftool import ExifToolHelper  # noqa: E402
from PIL import Image, ImageOps, UnidentifiedImageError  # noqa: E402

# Only these decoders are ever used, chosen from the sniffed type; never EPS or other Ghostscript formats.
# HEIC has no decoder here (no pillow-heif): its metadata is read, but it gets no thumbnail.
PILLOW_FORMATS = {
    "image/jpeg": ["JPEG"],  # also opens MPO (extra pictures after the first, from stereo and depth cameras)
    "image/png": ["PNG"],
    "image/webp": ["WEBP"],
    "image/tiff": ["TIFF"],
}
# The largest phone sensors make 200 Mpx. Pillow warns above this and refuses above twice it; the warning is
# made an error, so this is the limit.
Image.MAX_IMAGE_PIXELS = 210_000_000
warnings.simplefilter("error", Image.DecompressionBombWarning)

# Demuxer forced per sniffed type: ffmpeg must not guess, or a playlist or concat script inside a container
# could make it read other local files into the thumbnails.
FFMPEG_DEMUXERS = {
    "video/mp4": "mov",
    "video/quicktime": "mov",
    "video/3gpp": "mov",
    "audio/mp4": "mov",
    "audio/x-m4a": "mov",
    "video/webm": "matroska",
    "video/x-matroska": "matroska",
    "video/x-msvideo": "avi",
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "audio/x-wav": "wav",
    "audio/wav": "wav",
    "audio/amr": "amr",
    "audio/x-hx-aac-adts": "aac",
    "audio/aac": "aac",
    "audio/flac": "flac",
}
THUMBNAIL_SIZE = (480, 480)
MAX_KEYFRAMES = 6
MAX_DERIVED_FILE_BYTES = 64 * 1024 * 1024
MAX_RAW_STRING = 2000
# The next JPEG marker, skipping fill bytes, and inside a scan the stuffed 0xFF00 and the restart markers.
JPEG_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
NOT_PADDING = re.compile(rb"[^\x00\xff]")
# What the demuxers say of a file cut short: an MP4 whose samples lie past its end, a Matroska file that stops.
INCOMPLETE_MESSAGE = re.compile(r"partial file|ended prematurely", re.IGNORECASE)
OUT_TIME = re.compile(r"^out_time_us=(\d+)$", re.MULTILINE)
# A container's declared duration and its last packet differ by a frame or two; more than this is missing data.
MIN_MISSING_SECONDS = 2.0
MIN_MISSING_SHARE = 0.2
EXIF_TIME = re.compile(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?$")


class Refused(Exception):
    """This file cannot be processed; `code` is a key of sandbox.FAILURES."""

    def __init__(self, code: str, **details: object):
        super().__init__(code)
        self.code = code
        self.details = details


# -- limits -------------------------------------------------------------------------------------------------


def limit_resources(memory_limit_mb: int) -> None:
    # The exiftool thread (see read_metadata_meanwhile) would otherwise get a malloc arena of its own, 64 MB of
    # address space counted against the limit; one arena and a small stack keep the limit for the parsers.
    try:
        ctypes.CDLL(None).mallopt(-8, 1)  # M_ARENA_MAX (glibc)
    except (OSError, AttributeError):
        pass
    threading.stack_size(1024 * 1024)
    memory = memory_limit_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_DERIVED_FILE_BYTES, MAX_DERIVED_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def limit_cpu_for_next_file(seconds: int) -> None:
    # RLIMIT_CPU counts the process's whole life, so each file gets what is used so far plus its budget.
    # Past the soft limit the kernel sends SIGXCPU, which ends the child; the parent reports it.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime) + seconds
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


# -- metadata -----------------------------------------------------------------------------------------------

_exiftool_helper: ExifToolHelper | None = None


def exiftool_metadata(path: str) -> dict[str, Any]:
    """Everything exiftool reads, keyed "Group:Tag" (-G); numbers as numbers, GPS signed (-n)."""
    global _exiftool_helper
    if _exiftool_helper is None or not _exiftool_helper.running:
        if shutil.which("exiftool") is None:
            raise Refused("tool_missing", tool="exiftool (Debian package libimage-exiftool-perl)")
        _exiftool_helper = ExifToolHelper(common_args=["-G", "-n"])
        _exiftool_helper.run()
    try:
        records = _exiftool_helper.get_metadata(path)
    except Exception as error:  # exiftool rejects some files; the decoders still decide about them
        if not _exiftool_helper.running:
            _exiftool_helper = None
        return {"ExifTool:Error": str(error)[:MAX_RAW_STRING]}
    record = records[0] if records else {}
    return {key: value for key, value in record.items() if key != "SourceFile"}


_metadata_thread: ThreadPoolExecutor | None = None


def read_metadata_meanwhile(path: str) -> "Future[dict[str, Any]]":
    """exiftool_metadata(path), running while the caller decodes the file.

    exiftool is a process of its own: while it parses, this process decodes, resizes and hashes (Pillow and
    ffmpeg release the GIL), so a photo costs about the longer of the two instead of their sum. The thread only
    waits on exiftool's pipe. Requests come one at a time, so it never has two files at once.
    """
    global _metadata_thread
    if _metadata_thread is None:
        _metadata_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="exiftool")
    return _metadata_thread.submit(exiftool_metadata, path)


def bounded(value: Any) -> Any:
    """The value as JSON-safe data, with long strings (embedded blobs, padding) replaced by their length."""
    if isinstance(value, dict):
        return {str(key): bounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [bounded(item) for item in value]
    if isinstance(value, bytes):
        value = value.hex()
    if isinstance(value, str) and len(value) > MAX_RAW_STRING:
        return f"({len(value)} characters, not kept)"
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def first(metadata: dict[str, Any], *keys: str) -> tuple[str, Any]:
    """(key, value) of the first key with a non-empty value, or ("", None)."""
    for key in keys:
        value = metadata.get(key)
        if value not in (None, ""):
            return key, value
    return "", None


def parse_time(value: Any, offset: Any = None) -> tuple[datetime | None, bool]:
    """(time, whether its zone is known) from an EXIF/XMP/QuickTime date string and an optional offset.

    With a zone the time is aware. Without one it is naive: the device's wall-clock time, whose zone nobody
    knows (a phone's EXIF DateTimeOriginal without OffsetTimeOriginal); it must never be taken for UTC.
    """
    match = EXIF_TIME.match(str(value).strip()) if value is not None else None
    if match is None:
        return None, False
    *parts, zone = match.groups()
    zone = zone or (str(offset).strip() if offset not in (None, "") else None)
    try:
        moment = datetime(*(int(part) for part in parts))
    except ValueError:  # 0000:00:00 00:00:00 and other placeholders
        return None, False
    if zone == "Z":
        return moment.replace(tzinfo=UTC), True
    offset_match = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", zone or "")
    if offset_match:
        sign, hours, minutes = offset_match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        return moment.replace(tzinfo=timezone(-delta if sign == "-" else delta)), True
    return moment, False


def as_float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def apply_metadata(metadata: dict[str, Any], result: dict[str, Any]) -> None:
    """Capture time, position, device and orientation from exiftool's tags (photos, videos, audio)."""
    notes = result["raw"]["casework"]
    candidates = [
        ("EXIF:DateTimeOriginal", "EXIF:OffsetTimeOriginal"),
        ("EXIF:CreateDate", "EXIF:OffsetTimeDigitized"),
        ("XMP:DateTimeOriginal", None),
        ("XMP:DateCreated", None),
        ("QuickTime:CreationDate", None),  # Apple's, with the zone of the place it was recorded
    ]
    zone_known = False
    for time_key, offset_key in candidates:
        capture_time, zone_known = parse_time(metadata.get(time_key), metadata.get(offset_key or ""))
        if capture_time is not None:
            notes["capture_time_source"] = time_key
            notes["capture_time_zone"] = (
                "from file" if zone_known else "unknown: the file gives a clock time without its zone"
            )
            break
    else:
        # QuickTime's CreateDate is UTC by specification (some Android phones write local time regardless).
        time_key, value = first(metadata, "QuickTime:CreateDate", "QuickTime:MediaCreateDate")
        capture_time, zone_known = parse_time(value, "Z")
        if capture_time is None and result.get("creation_time"):
            time_key, capture_time = "ffprobe:creation_time", datetime.fromisoformat(result["creation_time"])
            zone_known = capture_time.tzinfo is not None
        if capture_time is not None:
            notes["capture_time_source"] = time_key
            notes["capture_time_zone"] = "UTC by the container's specification"
    if capture_time is not None:
        result["capture_time"] = capture_time.isoformat()
        result["capture_time_zone_known"] = zone_known

    latitude = as_float(metadata.get("Composite:GPSLatitude"))
    longitude = as_float(metadata.get("Composite:GPSLongitude"))
    if latitude is not None and longitude is not None:
        if latitude == longitude == 0:
            notes["gps"] = "0,0 ignored: devices write it when they have no fix"
        elif -90 <= latitude <= 90 and -180 <= longitude <= 180:
            result["latitude"], result["longitude"] = latitude, longitude
        else:
            notes["gps"] = "out of range, ignored"

    result["device_make"] = str(first(metadata, "EXIF:Make", "QuickTime:Make", "XMP:Make")[1] or "").strip()
    result["device_model"] = str(first(metadata, "EXIF:Model", "QuickTime:Model", "XMP:Model")[1] or "").strip()
    software = first(metadata, "EXIF:Software", "QuickTime:Software", "XMP:CreatorTool")[1]
    result["software"] = str(software or "").strip()
    orientation = metadata.get("EXIF:Orientation")
    result["orientation"] = orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else None
    if result.get("width") is None:
        size = str(metadata.get("Composite:ImageSize") or "").replace("x", " ").split()
        if len(size) == 2 and all(part.isdigit() for part in size):
            result["width"], result["height"] = int(size[0]), int(size[1])


# -- hidden data --------------------------------------------------------------------------------------------


def check_not_archive(path: str) -> None:
    # A file that an archive tool would also open could smuggle content past a reviewer. is_zipfile only
    # looks for an end record, which compressed media can contain by chance; listing the entries confirms it.
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            entries = len(archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    if entries:
        raise Refused("archive_inside", detail=f"{entries} archived files")


def jpeg_end(data: mmap.mmap) -> int | None:
    """Offset just after the EOI marker of the JPEG at the start of `data`, or None if there is none."""
    position = 2
    while (match := JPEG_NEXT_MARKER.search(data, position)) is not None:
        marker = data[match.start() + 1]
        if marker == 0xD9:
            return match.end()
        if marker in (0x01, 0xD8):  # markers without a length
            position = match.end()
            continue
        # A segment (EXIF with its embedded thumbnail, tables, a scan header) is skipped by its length;
        # after a scan header the search walks the entropy-coded data to the next real marker.
        position = match.end() + int.from_bytes(data[match.end() : match.end() + 2], "big")
    return None


def png_end(data: mmap.mmap) -> int | None:
    position = 8
    while position + 8 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        chunk_type = data[position + 4 : position + 8]
        position += 12 + length
        if chunk_type == b"IEND":
            return position
    return None


def image_end(data: mmap.mmap, image: Image.Image) -> int | None:
    if image.format == "MPO":
        # Extra pictures (depth maps, stereo views) follow the first, where its MP index says.
        ends = []
        for frame, entry in enumerate(image.mpinfo[0xB002]):
            image.seek(frame)  # only positions the reader at the frame (Pillow sets `offset`); no decoding
            ends.append(image.offset + entry["Size"])
        image.seek(0)
        return max(ends)
    if image.format == "JPEG":
        return jpeg_end(data)
    if image.format == "PNG":
        return png_end(data)
    if image.format == "WEBP":
        size = int.from_bytes(data[4:8], "little")
        return 8 + size + (size & 1)
    return None  # TIFF keeps its parts anywhere: only the archive check applies


def check_nothing_appended(file: BinaryIO, image: Image.Image, notes: dict[str, Any]) -> None:
    """Refuse data after the end of the image (a ZIP, a script), except padding and phones' own trailers."""
    with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        end = image_end(data, image)
        if end is None or end >= len(data) or NOT_PADDING.search(data, end) is None:
            return
        if data[end + 4 : end + 8] == b"ftyp":
            notes["appended"] = "a video after the image (a motion photo)"
        elif data[-4:] == b"SEFT":
            notes["appended"] = "a Samsung trailer after the image"
        else:
            detected = magic.from_buffer(data[end : end + 8192], mime=True)
            raise Refused("appended_data", size=len(data) - end, detected=detected)


# -- photos -------------------------------------------------------------------------------------------------


def probe_image(path: str, mime: str, derived: Path, result: dict[str, Any]) -> None:
    formats = PILLOW_FORMATS.get(mime)
    if formats is None:
        result["raw"]["casework"]["preview"] = f"no decoder for {mime}: metadata only"
        return
    try:
        # Opened once for the decoder and the check for appended data.
        with open(path, "rb") as file, Image.open(file, formats=formats) as image:
            result["width"], result["height"] = image.size
            result["raw"]["pillow"] = {"format": image.format, "mode": image.mode, "size": list(image.size)}
            if image.format in ("JPEG", "MPO"):
                # Decoding at a reduced scale is enough for a 480 px thumbnail and a 32 px hash, and much
                # cheaper; the whole entropy-coded data is still read, so truncation is still caught.
                image.draft("RGB", THUMBNAIL_SIZE)
            image.load()
            upright = ImageOps.exif_transpose(image)
            preview = upright.convert("RGB")
            # Box (area average), not Pillow's default bicubic: after the reduced-scale decode the picture is at
            # most twice the thumbnail's size, where averaging each output pixel's area costs a third of bicubic
            # and looks the same at 480 px.
            preview.thumbnail(THUMBNAIL_SIZE, resample=Image.Resampling.BOX)
            # One resize serves both: the hash is taken from the thumbnail.
            result["perceptual_hashes"] = [str(imagehash.phash(preview))]
            preview.info.clear()  # Pillow would copy a JPEG comment and ICC profile into the thumbnail
            preview.save(derived / "thumbnail.jpg", "JPEG", quality=82)
            result["thumbnail_written"] = True
            check_nothing_appended(file, image, result["raw"]["casework"])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise Refused("decompression_bomb", detail=str(error).split(" could be")[0]) from None
    except UnidentifiedImageError:
        raise Refused("not_decodable", type=mime, detail="no decoder recognises its bytes") from None
    except MemoryError:
        raise Refused("out_of_memory") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise Refused("truncated", detail=str(error)[:300]) from None


# -- audio and video ----------------------------------------------------------------------------------------


def run_tool(
    command: list[str], *, timeout_seconds: int, package: str = "ffmpeg"
) -> subprocess.CompletedProcess[bytes]:
    if shutil.which(command[0]) is None:
        raise Refused("tool_missing", tool=f"{command[0]} (Debian package {package})")
    try:
        return subprocess.run(command, capture_output=True, timeout=timeout_seconds, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise Refused("timeout", seconds=timeout_seconds) from None


def last_error_line(process: subprocess.CompletedProcess[bytes], tool: str) -> str:
    lines = process.stderr.decode(errors="replace").strip().splitlines()
    return lines[-1][:300] if lines else f"{tool} failed"


def frame_rate(text: str | None) -> float | None:
    try:
        rate = Fraction(text or "")
    except (ValueError, ZeroDivisionError):
        return None
    return round(float(rate), 3) if rate else None


def is_cover_art(stream: dict[str, Any]) -> bool:
    return bool((stream.get("disposition") or {}).get("attached_pic"))


def probe_audio_video(
    path: str, kind: str, mime: str, derived: Path, result: dict[str, Any], *, timeout_seconds: int
) -> None:
    source = ["-protocol_whitelist", "file", "-f", FFMPEG_DEMUXERS[mime], "-i", f"file:{path}"]
    # ffmpeg starts now, while ffprobe runs (starting ffmpeg alone takes ~50 ms), and waits for its filter
    # graph, which needs the duration ffprobe reports.
    with KeyframeRun(source, derived, enabled=kind == "video") as keyframe_run:
        probe_with_keyframe_run(source, kind, mime, derived, result, keyframe_run, timeout_seconds=timeout_seconds)


def probe_with_keyframe_run(
    source: list[str],
    kind: str,
    mime: str,
    derived: Path,
    result: dict[str, Any],
    keyframe_run: "KeyframeRun",
    *,
    timeout_seconds: int,
) -> None:
    probe = run_tool(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", *source],
        timeout_seconds=timeout_seconds,
    )
    if probe.returncode != 0:
        raise Refused("not_readable_media", kind=kind, detail=last_error_line(probe, "ffprobe"))
    info = json.loads(probe.stdout or b"{}")
    result["raw"]["ffprobe"] = info
    container = info.get("format", {})
    streams = info.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video" and not is_cover_art(s)), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if video is None and audio is None:
        raise Refused("no_stream")
    result["duration_seconds"] = as_float(container.get("duration"))
    result["container"] = container.get("format_name", "")
    result["audio_codec"] = (audio or {}).get("codec_name", "")
    tagged_creation = str((container.get("tags") or {}).get("creation_time", ""))
    creation_time, _ = parse_time(tagged_creation.replace("-", ":", 2), "Z")
    if creation_time is not None:
        result["creation_time"] = creation_time.isoformat()
    if video is None:
        check_complete(source, mime, result, timeout_seconds=timeout_seconds)
        return
    result["video_codec"] = video.get("codec_name", "")
    result["width"], result["height"] = video.get("width"), video.get("height")
    result["frame_rate"] = frame_rate(video.get("avg_frame_rate")) or frame_rate(video.get("r_frame_rate"))
    if keyframe_run.finish(mime, result, timeout_seconds=timeout_seconds):
        return
    # Something went wrong in the single run (an error, no keyframe): the two steps run apart, as they always
    # did, so that such a file gets exactly the answer and the derived files it got before.
    for keyframe in derived.glob("keyframe-*.jpg"):
        keyframe.unlink()
    check_complete(source, mime, result, timeout_seconds=timeout_seconds)
    write_keyframes(source, derived, result, timeout_seconds=timeout_seconds)


COPY_TO_NOWHERE = ["-map", "0:v?", "-map", "0:a?", "-c", "copy", "-f", "null", "-progress", "pipe:1", "-"]
FILTER_FIFO_NAME = ".keyframe-filters"


class KeyframeRun:
    """check_complete and write_keyframes in one ffmpeg run, started before ffprobe has finished.

    Starting ffmpeg costs ~50 ms by itself, so one run instead of two saves that, and starting it while ffprobe
    runs hides most of the other. ffmpeg opens the file, then waits for its keyframe filter graph on a named
    pipe in the derived folder (`-filter_script`), which finish() writes once ffprobe has told the duration.
    Both outputs read the same packets: the copy to nowhere sees every packet as the separate check did (the
    decoders' skipping of non-keyframes does not apply to copied streams); the keyframe output decodes
    keyframes only, with the same filters and options as write_keyframes.
    """

    def __init__(self, source: list[str], derived: Path, *, enabled: bool):
        self.source, self.derived = source, derived
        self.fifo = derived / FILTER_FIFO_NAME
        self.process: subprocess.Popen[bytes] | None = None
        if enabled and shutil.which("ffmpeg") is not None:
            os.mkfifo(self.fifo, 0o600)
            self.command = ["ffmpeg", "-nostdin", "-v", "error", "-skip_frame", "nokey", *source, *COPY_TO_NOWHERE,
                            *keyframe_output(derived, filter_script=f"file:{self.fifo}")]  # fmt: skip
            self.process = subprocess.Popen(
                self.command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )

    def __enter__(self) -> "KeyframeRun":
        return self

    def __exit__(self, *exception: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
        self.fifo.unlink(missing_ok=True)

    def finish(self, mime: str, result: dict[str, Any], *, timeout_seconds: int) -> bool:
        """Give ffmpeg its filter graph and wait for it. Returns False, leaving the result untouched, when the
        run failed or wrote no keyframe: the caller then runs the two steps apart, as they always ran. Raises
        Refused for an incomplete file, removing the keyframes it wrote."""
        if self.process is None:
            return False
        deadline = time.monotonic() + timeout_seconds
        while True:  # the pipe opens for writing once ffmpeg has opened it for reading
            try:
                descriptor = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as error:
                if error.errno != errno.ENXIO or self.process.poll() is not None:
                    return False
                if time.monotonic() > deadline:
                    raise Refused("timeout", seconds=timeout_seconds) from None
                time.sleep(0.001)
        try:
            os.write(descriptor, keyframe_filters(result).encode())
        finally:
            os.close(descriptor)
        try:
            stdout, stderr = self.process.communicate(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            raise Refused("timeout", seconds=timeout_seconds) from None
        run = subprocess.CompletedProcess(self.command, self.process.returncode, stdout, stderr)
        keyframes = sorted(self.derived.glob("keyframe-*.jpg"))
        if run.returncode != 0 or not keyframes:
            return False
        try:
            refuse_if_incomplete(run, mime, result)
        except Refused:
            for keyframe in keyframes:
                keyframe.unlink()
            raise
        hash_keyframes(keyframes, self.derived, result)
        return True


def check_complete(source: list[str], mime: str, result: dict[str, Any], *, timeout_seconds: int) -> None:
    """Refuse a file whose media data stops before what its container declares: a partial download or copy.

    Its index (an MP4's moov, a Matroska header) still declares the full duration, so ffprobe alone reports a
    whole file. Copying every audio and video packet to nowhere reads all the data without decoding it: the
    demuxers report a partial file, and the last packet's time shows how much is really there.
    """
    remux = run_tool(["ffmpeg", "-nostdin", "-v", "error", *source, *COPY_TO_NOWHERE], timeout_seconds=timeout_seconds)
    refuse_if_incomplete(remux, mime, result)


def refuse_if_incomplete(remux: subprocess.CompletedProcess[bytes], mime: str, result: dict[str, Any]) -> None:
    """Refused("incomplete") if the copy to nowhere (with -progress) found less than the container declares."""
    found_us = [int(value) for value in OUT_TIME.findall(remux.stdout.decode(errors="replace"))]
    found = max(found_us, default=0) / 1_000_000
    declared = result.get("duration_seconds") or 0.0
    messages = remux.stderr.decode(errors="replace")
    reported = INCOMPLETE_MESSAGE.search(messages)
    # Only indexed containers declare a duration that can be trusted; MP3's is an estimate from the bit rate.
    indexed = FFMPEG_DEMUXERS.get(mime) in ("mov", "matroska") and remux.returncode == 0
    missing = declared - found
    if reported or (indexed and missing > max(MIN_MISSING_SECONDS, MIN_MISSING_SHARE * declared)):
        raise Refused(
            "incomplete",
            declared=f"{declared:.1f}",
            found=f"{found:.1f}",
            detail=reported.group(0).lower() if reported else "media data missing",
        )


def keyframe_filters(result: dict[str, Any]) -> str:
    """The filter graph that picks keyframes spread over the video's duration and shrinks them."""
    spacing = (result["duration_seconds"] or 0) / MAX_KEYFRAMES
    width, height = THUMBNAIL_SIZE
    return (
        f"select='isnan(prev_selected_t)+gte(t-prev_selected_t,{spacing:.3f})',"
        f"scale='min({width},iw)':'min({height},ih)':force_original_aspect_ratio=decrease"
    )


def keyframe_output(derived: Path, *, filters: str = "", filter_script: str = "") -> list[str]:
    """ffmpeg's output options for up to MAX_KEYFRAMES keyframes spread over the video, as keyframe-NN.jpg;
    the filter graph given, or read from `filter_script`."""
    graph = ["-filter_script:v", filter_script] if filter_script else ["-vf", filters]
    return ["-map", "0:v:0", "-an", "-sn", "-dn", *graph, "-fps_mode", "vfr", "-frames:v",
            str(MAX_KEYFRAMES), "-q:v", "4", str(derived / "keyframe-%02d.jpg")]  # fmt: skip


def write_keyframes(source: list[str], derived: Path, result: dict[str, Any], *, timeout_seconds: int) -> None:
    """Up to MAX_KEYFRAMES keyframes spread over the video, the first as poster; only keyframes are decoded."""
    extract = run_tool(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-skip_frame",
            "nokey",
            *source,
            *keyframe_output(derived, filters=keyframe_filters(result)),
        ],
        timeout_seconds=timeout_seconds,
    )
    keyframes = sorted(derived.glob("keyframe-*.jpg"))
    if not keyframes:
        raise Refused("no_frame", detail=last_error_line(extract, "ffmpeg"))
    hash_keyframes(keyframes, derived, result)


def hash_keyframes(keyframes: list[Path], derived: Path, result: dict[str, Any]) -> None:
    """Perceptual hashes of the keyframes; the first becomes the poster."""
    hashes = []
    for keyframe in keyframes:
        with Image.open(keyframe, formats=["JPEG"]) as frame:
            hashes.append(str(imagehash.phash(frame)))
    shutil.copyfile(keyframes[0], derived / "poster.jpg")
    result["keyframe_paths"] = [str(keyframe) for keyframe in keyframes]
    result["perceptual_hashes"] = hashes
    result["thumbnail_written"] = True


# -- text from documents -------------------------------------------------------------------------------------

# Scanned PDFs: at most this many pages are rasterised and read, each at most this many pixels on its long side
# (a page of any declared size costs the same), which bounds the time and memory of one document.
MAX_OCR_PAGES = 20
OCR_PAGE_PIXELS = 2400
# Photos larger than this on their long side are shrunk before OCR: more pixels only cost time.
OCR_PHOTO_PIXELS = 4000
MAX_TEXT_CHARACTERS = 200_000
# A text layer with fewer letters than this per page is taken for a scan with stray marks and read by OCR.
MIN_TEXT_LAYER_CHARACTERS = 20


def pdf_text_layer(path: str, *, timeout_seconds: int) -> tuple[str, int]:
    """(text, pages) of the PDF's own text layer, the first MAX_OCR_PAGES pages; "" if it has none."""
    info = run_tool(["pdfinfo", path], timeout_seconds=timeout_seconds, package="poppler-utils")
    if info.returncode != 0:
        raise Refused("not_readable_media", kind="PDF", detail=last_error_line(info, "pdfinfo"))
    pages_match = re.search(rb"^Pages:\s+(\d+)", info.stdout, re.MULTILINE)
    pages = int(pages_match.group(1)) if pages_match else 0
    layer = run_tool(
        ["pdftotext", "-q", "-enc", "UTF-8", "-l", str(MAX_OCR_PAGES), path, "-"],
        timeout_seconds=timeout_seconds,
        package="poppler-utils",
    )
    text = layer.stdout.decode("utf-8", errors="replace") if layer.returncode == 0 else ""
    # Pages end with a form feed; a NUL cannot be stored in PostgreSQL's text.
    text = text.replace("\x00", "").replace("\f", "\n\n")
    letters = sum(character.isalnum() for character in text)
    return (text if letters >= MIN_TEXT_LAYER_CHARACTERS * max(1, min(pages, MAX_OCR_PAGES)) else ""), pages


def rasterise_pdf(path: str, work: Path, *, timeout_seconds: int) -> list[Path]:
    run = run_tool(
        ["pdftoppm", "-q", "-gray", "-png", "-l", str(MAX_OCR_PAGES), "-scale-to", str(OCR_PAGE_PIXELS),
         path, str(work / "page")],
        timeout_seconds=timeout_seconds,
        package="poppler-utils",
    )  # fmt: skip
    pages = sorted(work.glob("page-*.png"))
    if not pages:
        raise Refused("not_readable_media", kind="PDF", detail=last_error_line(run, "pdftoppm"))
    return pages


def photo_for_ocr(path: str, mime: str, work: Path) -> Path:
    """The photo upright (EXIF orientation applied), in grey, as PNG: Tesseract never parses the original."""
    target = work / "photo.png"
    with Image.open(path, formats=PILLOW_FORMATS[mime]) as image:
        upright = ImageOps.exif_transpose(image).convert("L")
        upright.thumbnail((OCR_PHOTO_PIXELS, OCR_PHOTO_PIXELS))
        upright.save(target, "PNG")
    return target


def tesseract_words(image: Path, languages: str, *, timeout_seconds: int) -> tuple[str, list[float]]:
    """(text, confidence of each word) read by Tesseract: lines in reading order, paragraphs apart."""
    run = run_tool(
        ["tesseract", str(image), "stdout", "-l", languages, "tsv"],
        timeout_seconds=timeout_seconds,
        package="tesseract-ocr tesseract-ocr-ara tesseract-ocr-eng",
    )
    if run.returncode != 0:
        raise Refused("internal_error", detail=last_error_line(run, "tesseract"))
    lines: dict[tuple[str, ...], list[str]] = {}
    confidences: list[float] = []
    for row in run.stdout.decode("utf-8", errors="replace").splitlines()[1:]:
        columns = row.split("\t")
        if len(columns) != 12 or columns[0] != "5" or not columns[11].strip():
            continue
        lines.setdefault(tuple(columns[1:5]), []).append(columns[11].strip())
        confidences.append(float(columns[10]))
    paragraphs: dict[tuple[str, ...], list[str]] = {}
    for (page, block, paragraph, _line), words in lines.items():
        paragraphs.setdefault((page, block, paragraph), []).append(" ".join(words))
    return "\n\n".join("\n".join(paragraph) for paragraph in paragraphs.values()), confidences


def extract_text(request: dict[str, Any]) -> dict[str, Any]:
    """The text of a document photo or PDF: a PDF's text layer if it has one, otherwise OCR of its pages.

    Answers {"text", "method": "text_layer" | "ocr", "confidence": mean word confidence 0-100 (OCR only),
    "words", "pages": pages in the file, "pages_read"}. Writes only into derived_dir.
    """
    path, mime = request["path"], request["mime"]
    timeout_seconds = int(request["cpu_seconds"])
    work = Path(request["derived_dir"]) / "text"
    work.mkdir(exist_ok=True)
    pages = 1
    if mime == "application/pdf":
        text, pages = pdf_text_layer(path, timeout_seconds=timeout_seconds)
        if text.strip():
            return {"text": text.strip()[:MAX_TEXT_CHARACTERS], "method": "text_layer", "confidence": None,
                    "words": len(text.split()), "pages": pages, "pages_read": min(pages, MAX_OCR_PAGES)}  # fmt: skip
        images = rasterise_pdf(path, work, timeout_seconds=timeout_seconds)
    elif mime in PILLOW_FORMATS:
        try:
            images = [photo_for_ocr(path, mime, work)]
        except (OSError, SyntaxError, ValueError, EOFError, UnidentifiedImageError) as error:
            raise Refused("truncated", detail=str(error)[:300]) from None
    else:
        raise Refused("not_readable_media", kind=mime, detail="no reader for its text")
    texts, confidences = [], []
    for image in images:
        text, page_confidences = tesseract_words(image, request["languages"], timeout_seconds=timeout_seconds)
        texts.append(text)
        confidences += page_confidences
    text = "\n\n".join(filter(None, texts)).strip()
    confidence = sum(confidences) / len(confidences) if confidences else 0.0
    return {"text": text[:MAX_TEXT_CHARACTERS], "method": "ocr", "confidence": round(confidence, 1),
            "words": len(confidences), "pages": pages, "pages_read": len(images)}  # fmt: skip


# -- requests -----------------------------------------------------------------------------------------------


def probe(request: dict[str, Any]) -> dict[str, Any]:
    path, kind, mime = request["path"], request["kind"], request["mime"]
    derived = Path(request["derived_dir"])
    result: dict[str, Any] = {"raw": {"casework": {"sniffed_mime": mime}}}
    check_not_archive(path)
    pending = read_metadata_meanwhile(path)
    try:
        if kind == "photo":
            probe_image(path, mime, derived, result)
        elif kind in ("video", "audio"):
            probe_audio_video(path, kind, mime, derived, result, timeout_seconds=request["cpu_seconds"])
    except BaseException:
        # The decoders' refusal is the answer (as when exiftool ran after them); exiftool finishes first, so
        # that its reply cannot be taken for the next file's.
        pending.exception()
        raise
    metadata = pending.result()
    result["raw"]["exiftool"] = metadata
    apply_metadata(metadata, result)
    result["raw"] = bounded(result["raw"])
    return result


def handle(request: dict[str, Any]) -> dict[str, Any]:
    if request.get("op") == "environment":
        return {"ok": True, "keys": STARTING_ENVIRONMENT_KEYS, "django_imported": "django" in sys.modules}
    limit_cpu_for_next_file(int(request.get("cpu_seconds", 60)))
    try:
        if request.get("op") == "text":
            return {"ok": True, "result": extract_text(request)}
        return {"ok": True, "result": probe(request)}
    except Refused as refusal:
        return {"ok": False, "failure": refusal.code, "details": bounded(refusal.details)}
    except MemoryError:
        return {"ok": False, "failure": "out_of_memory", "details": {}}
    except Exception as error:  # an unexpected parser error is this file's failure, not the child's
        detail = f"{type(error).__name__}: {error}"[:300]
        return {"ok": False, "failure": "internal_error", "details": {"detail": detail}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--memory-limit-mb", type=int, required=True)
    arguments = parser.parse_args()
    limit_resources(arguments.memory_limit_mb)
    # Replies get a private copy of stdout; file descriptor 1 becomes stderr, so that a library printing
    # to stdout cannot corrupt or forge a reply.
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    for line in sys.stdin:
        reply = handle(json.loads(line))
        replies.write(json.dumps(reply, default=str) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
