"""Generated sample media with known metadata, for the demo and the tests. Nothing is downloaded."""

import io
import random
import shutil
import subprocess
from datetime import datetime
from fractions import Fraction
from pathlib import Path

from PIL import Image, ImageDraw

EXIF_IFD = 0x8769
GPS_IFD = 0x8825


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
    size: tuple[int, int] = (960, 720),
    image: Image.Image | None = None,
) -> bytes:
    """A JPEG with the given EXIF capture time, GPS position and device."""
    exif = Image.Exif()
    if make:
        exif[0x010F] = make
    if model:
        exif[0x0110] = model
    if software:
        exif[0x0131] = software
    if capture_time is not None:
        stamp = capture_time.strftime("%Y:%m:%d %H:%M:%S")
        exif[0x0132] = stamp
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
    buffer = io.BytesIO()
    (image or scene_image(seed, size)).save(buffer, "JPEG", quality=88, exif=exif)
    return buffer.getvalue()


def write_video(
    path: Path,
    *,
    seconds: float = 2.0,
    size: str = "320x240",
    rate: int = 25,
    pattern: str = "testsrc2",
    creation_time: str | None = None,
    codec: str = "libx264",
) -> Path:
    """A short H.264 MP4 made by ffmpeg's test sources (Debian `ffmpeg`, installed by bin/setup)."""
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
    if creation_time:
        command += ["-metadata", f"creation_time={creation_time}"]
    subprocess.run([*command, str(path)], check=True, timeout=120)
    return path


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
