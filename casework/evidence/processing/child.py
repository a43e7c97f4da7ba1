"""The sandboxed media parser: reads JSON requests on stdin, answers one JSON line each on stdout.

Runs as `python -I .../child.py` with no credentials in its environment and a
memory limit (see sandbox.py). It must never import Django settings.
"""

import json
import os
import shutil
import subprocess
import sys
import warnings
import zipfile
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import imagehash
from exiftool import ExifToolHelper
from PIL import Image, ImageOps, UnidentifiedImageError

# Only these decoders are ever used, chosen from the sniffed type; never EPS or other Ghostscript formats.
PILLOW_FORMATS = {
    "image/jpeg": ["JPEG", "MPO"],
    "image/png": ["PNG"],
    "image/webp": ["WEBP"],
    "image/tiff": ["TIFF"],
}
Image.MAX_IMAGE_PIXELS = 100_000_000
THUMBNAIL_SIZE = (480, 480)
MAX_KEYFRAMES = 6
TOOL_TIMEOUT_SECONDS = 90


class Refused(Exception):
    def __init__(self, reason: str, *, quarantine: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.quarantine = quarantine


def _exiftool() -> ExifToolHelper:
    global _exiftool_helper
    if _exiftool_helper is None:
        # -n: numbers as numbers (signed decimal GPS); -G: group names, so sources are not confused.
        _exiftool_helper = ExifToolHelper(common_args=["-G", "-n"])
        _exiftool_helper.run()
    return _exiftool_helper


_exiftool_helper: ExifToolHelper | None = None


def exif_metadata(path: str) -> dict:
    try:
        records = _exiftool().get_metadata(path)
    except Exception as error:  # exiftool rejects some files; the other parsers still decide
        return {"ExifTool:Error": str(error)[:500]}
    record = records[0] if records else {}
    return {key: value for key, value in record.items() if not key.startswith("SourceFile")}


def first(metadata: dict, *keys: str):
    for key in keys:
        value = metadata.get(key)
        if value not in (None, ""):
            return value
    return None


def parse_exif_time(value, offset) -> tuple[datetime | None, bool]:
    """(aware datetime, whether the time zone was assumed to be UTC)."""
    if not isinstance(value, str) or value.startswith("0000"):
        return None, False
    try:
        moment = datetime.strptime(value[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None, False
    if isinstance(offset, str) and len(offset) == 6 and offset[0] in "+-":
        try:
            return datetime.fromisoformat(moment.isoformat() + offset).astimezone(UTC), False
        except ValueError:
            pass
    return moment.replace(tzinfo=UTC), True


def as_float(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def check_not_polyglot(path: str) -> None:
    # A file that an archive tool would also open could smuggle content past a reviewer.
    if zipfile.is_zipfile(path):
        raise Refused(
            "The file is also a ZIP archive (data hidden after the media); it was quarantined.",
            quarantine=True,
        )


def probe_image(path: str, mime: str, derived: Path, result: dict) -> None:
    formats = PILLOW_FORMATS.get(mime)
    if formats is None:
        result["raw"]["casework"]["preview"] = f"no decoder for {mime}; metadata only"
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=formats) as image:
                image.load()
                result["width"], result["height"] = image.size
                upright = ImageOps.exif_transpose(image)
                result["perceptual_hashes"] = [str(imagehash.phash(upright))]
                preview = upright.convert("RGB")
                preview.thumbnail(THUMBNAIL_SIZE)
                preview.save(derived / "thumbnail.jpg", "JPEG", quality=82)
                result["thumbnail_written"] = True
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise Refused(f"The image is a decompression bomb ({error}); it was quarantined.", quarantine=True) from None
    except UnidentifiedImageError:
        raise Refused(
            f"The file claims to be {mime} but cannot be decoded as one; it was quarantined.", quarantine=True
        ) from None
    except MemoryError:
        raise Refused(
            "Decoding the image needed more memory than allowed; it was quarantined.", quarantine=True
        ) from None
    except (OSError, SyntaxError, ValueError) as error:
        raise Refused(f"The image is truncated or corrupt ({error}).") from None


def run_tool(command: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, capture_output=True, timeout=TOOL_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise Refused(f"{command[0]} did not finish in time; the file was quarantined.", quarantine=True) from None


def frame_rate(text: str | None) -> float | None:
    try:
        rate = Fraction(text)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return float(rate) if rate else None


def probe_audio_video(path: str, kind: str, derived: Path, result: dict) -> None:
    probe = run_tool(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", path])
    if probe.returncode != 0:
        message = probe.stderr.decode(errors="replace").strip().splitlines()
        raise Refused(f"The file is not a readable {kind}: {message[-1] if message else 'ffprobe failed'}.")
    info = json.loads(probe.stdout or b"{}")
    result["raw"]["ffprobe"] = info
    container = info.get("format", {})
    streams = info.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if video is None and audio is None:
        raise Refused("The file holds no readable audio or video stream.")
    result["duration_seconds"] = as_float(container.get("duration"))
    result["container"] = container.get("format_name", "")
    result["audio_codec"] = (audio or {}).get("codec_name", "")
    creation = (container.get("tags") or {}).get("creation_time")
    if creation:
        try:
            result["creation_time"] = datetime.fromisoformat(creation.replace("Z", "+00:00")).isoformat()
        except ValueError:
            pass
    if video is None or kind == "audio":
        return
    result["video_codec"] = video.get("codec_name", "")
    result["width"], result["height"] = video.get("width"), video.get("height")
    result["frame_rate"] = frame_rate(video.get("avg_frame_rate")) or frame_rate(video.get("r_frame_rate"))
    extract = run_tool(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-skip_frame",
            "nokey",
            "-i",
            path,
            "-map",
            "0:v:0",
            "-vf",
            "scale=480:-2",
            "-fps_mode",
            "vfr",
            "-frames:v",
            str(MAX_KEYFRAMES),
            "-q:v",
            "4",
            str(derived / "keyframe-%02d.jpg"),
        ]
    )
    keyframes = sorted(derived.glob("keyframe-*.jpg"))
    if extract.returncode != 0 and not keyframes:
        message = extract.stderr.decode(errors="replace").strip().splitlines()
        raise Refused(f"No frame of the video could be decoded: {message[-1] if message else 'ffmpeg failed'}.")
    hashes = []
    for keyframe in keyframes:
        with Image.open(keyframe, formats=["JPEG"]) as frame:
            hashes.append(str(imagehash.phash(frame)))
    result["keyframe_paths"] = [str(path) for path in keyframes]
    result["perceptual_hashes"] = hashes
    if keyframes:
        shutil.copyfile(keyframes[0], derived / "poster.jpg")
        result["thumbnail_written"] = True


def apply_exif_fields(metadata: dict, result: dict) -> None:
    capture, assumed_utc = parse_exif_time(
        first(metadata, "EXIF:DateTimeOriginal", "EXIF:CreateDate", "XMP:DateTimeOriginal"),
        first(metadata, "EXIF:OffsetTimeOriginal", "EXIF:OffsetTime"),
    )
    if capture is None:
        # QuickTime stores UTC by specification.
        capture, _ = parse_exif_time(first(metadata, "QuickTime:CreateDate", "QuickTime:MediaCreateDate"), "+00:00")
        assumed_utc = False
    if capture is None and result.get("creation_time"):
        capture = datetime.fromisoformat(result["creation_time"])
    if capture is not None:
        result["capture_time"] = capture.isoformat()
        result["raw"]["casework"]["capture_time_zone_assumed_utc"] = assumed_utc
    latitude = as_float(first(metadata, "Composite:GPSLatitude", "EXIF:GPSLatitude"))
    longitude = as_float(first(metadata, "Composite:GPSLongitude", "EXIF:GPSLongitude"))
    if latitude is not None and longitude is not None and -90 <= latitude <= 90 and -180 <= longitude <= 180:
        result["latitude"], result["longitude"] = latitude, longitude
    result["device_make"] = str(first(metadata, "EXIF:Make", "QuickTime:Make", "XMP:Make") or "").strip()
    result["device_model"] = str(first(metadata, "EXIF:Model", "QuickTime:Model", "XMP:Model") or "").strip()
    result["software"] = str(first(metadata, "EXIF:Software", "QuickTime:Software") or "").strip()
    orientation = first(metadata, "EXIF:Orientation")
    result["orientation"] = int(orientation) if isinstance(orientation, int | float) else None


def probe(request: dict) -> dict:
    path, kind, mime = request["path"], request["kind"], request["mime"]
    derived = Path(request["derived_dir"])
    result: dict = {"raw": {"casework": {"sniffed_mime": mime}}}
    check_not_polyglot(path)
    metadata = exif_metadata(path)
    result["raw"]["exiftool"] = metadata
    if kind == "photo":
        probe_image(path, mime, derived, result)
    elif kind in ("video", "audio"):
        probe_audio_video(path, kind, derived, result)
    apply_exif_fields(metadata, result)
    return result


def handle(request: dict) -> dict:
    if request.get("op") == "environment":
        return {"ok": True, "keys": sorted(os.environ)}
    try:
        return {"ok": True, "result": probe(request)}
    except Refused as refusal:
        return {"ok": False, "reason": refusal.reason, "quarantine": refusal.quarantine}
    except MemoryError:
        return {
            "ok": False,
            "reason": "Processing needed more memory than allowed; the file was quarantined.",
            "quarantine": True,
        }
    except Exception as error:  # an unexpected parser error is this file's failure, not the child's
        return {"ok": False, "reason": f"Processing failed: {type(error).__name__}: {str(error)[:300]}"}


def main() -> None:
    for line in sys.stdin:
        reply = handle(json.loads(line))
        sys.stdout.write(json.dumps(reply, default=str) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
