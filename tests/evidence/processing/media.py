"""Generated test media with known metadata: pictures, JPEGs with EXIF, videos. Nothing is downloaded."""

import subprocess
from datetime import datetime
from pathlib import Path

from PIL import Image

from casework.evidence.samples import _dms, scene_image  # noqa: F401  (scene_image is re-exported)

EXIF_IFD = 0x8769
GPS_IFD = 0x8825


def write_jpeg(
    path: Path,
    *,
    image: Image.Image | None = None,
    seed: int = 1,
    capture_time: datetime | None = None,
    utc_offset: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    make: str = "",
    model: str = "",
    software: str = "",
    orientation: int | None = None,
    comment: bytes = b"",
) -> Path:
    """A JPEG with the given EXIF tags (IFD0, the EXIF IFD and the GPS IFD, as a phone writes them)."""
    exif = Image.Exif()
    for tag, value in ((0x010F, make), (0x0110, model), (0x0131, software)):
        if value:
            exif[tag] = value
    if orientation is not None:
        exif[0x0112] = orientation
    if capture_time is not None:
        stamp = capture_time.strftime("%Y:%m:%d %H:%M:%S")
        exif_ifd = {0x9003: stamp, 0x9004: stamp}
        if utc_offset:
            exif_ifd[0x9011] = utc_offset
        exif[EXIF_IFD] = exif_ifd
    if latitude is not None and longitude is not None:
        exif[GPS_IFD] = {
            0: b"\x02\x03\x00\x00",
            1: "N" if latitude >= 0 else "S",
            2: _dms(latitude),
            3: "E" if longitude >= 0 else "W",
            4: _dms(longitude),
        }
    (image or scene_image(seed)).save(path, "JPEG", quality=88, exif=exif, comment=comment)
    return path


def write_video(
    path: Path,
    *,
    seconds: float = 2,
    size: str = "320x240",
    rate: int = 25,
    pattern: str = "testsrc2",
    keyframe_every: int = 250,
    extra: tuple[str, ...] = (),
) -> Path:
    """An H.264 + AAC video from ffmpeg's test sources; the container follows the file's suffix."""
    command = [
        "ffmpeg", "-v", "error", "-y",
        "-f", "lavfi", "-i", f"{pattern}=size={size}:rate={rate}:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
        "-c:v", "libx264", "-g", str(keyframe_every), "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
        *extra, str(path),
    ]  # fmt: skip
    subprocess.run(command, check=True, timeout=120)
    return path


def reencode_video(source: Path, target: Path, *, size: str, rate: int) -> Path:
    """What a messaging app does to a forwarded video: smaller, fewer frames, lower quality."""
    width, height = size.split("x")
    command = [
        "ffmpeg", "-v", "error", "-y", "-i", str(source), "-vf", f"scale={width}:{height}", "-r", str(rate),
        "-c:v", "libx264", "-crf", "32", "-c:a", "aac", "-b:a", "64k", str(target),
    ]  # fmt: skip
    subprocess.run(command, check=True, timeout=120)
    return target


def extract_audio(source: Path, target: Path) -> Path:
    """The sound track of a video, as a recording app would save it (AAC in an M4A container)."""
    command = ["ffmpeg", "-v", "error", "-y", "-i", str(source), "-vn", "-c:a", "copy", str(target)]
    subprocess.run(command, check=True, timeout=120)
    return target
