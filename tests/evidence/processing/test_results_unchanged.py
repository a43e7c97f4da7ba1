"""What processing extracts from a set of generated files stays what it was before the speed work (issue 16):
the same metadata, the same thumbnail, poster and keyframe bytes, the same perceptual hashes, the same refusals.

The expected results were recorded with the processing code as it was before (`unchanged_results.json`);
re-record only when a change of results is intended:

    .venv/bin/python -m tests.evidence.processing.test_results_unchanged --record

The tools' versions are part of the recording: with another exiftool or ffmpeg the test is skipped, as their
output may differ for reasons of their own.
"""

import hashlib
import json
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import pytest

from casework.evidence import samples
from casework.evidence.processing import ProbeFailed, classify, probe_media

RECORDING = Path(__file__).with_name("unchanged_results.json")
# What exiftool says of the file in the file system (its name, folder, dates, permissions), not of its content.
FILE_SYSTEM_TAGS = {
    "File:FileName",
    "File:Directory",
    "File:FileModifyDate",
    "File:FileAccessDate",
    "File:FileInodeChangeDate",
    "File:FilePermissions",
}


def tool_versions() -> dict[str, str]:
    def first_line(command: list[str]) -> str:
        if shutil.which(command[0]) is None:
            return "missing"
        return subprocess.run(command, capture_output=True, text=True).stdout.splitlines()[0].strip()

    return {"exiftool": first_line(["exiftool", "-ver"]), "ffmpeg": first_line(["ffmpeg", "-version"])}


def make_files(folder: Path) -> dict[str, Path]:
    files = {
        "photo-exif-gps.jpg": samples.write_jpeg(
            folder / "photo-exif-gps.jpg",
            seed=3,
            capture_time=datetime(2017, 9, 1, 10, 5),
            utc_offset="+03:00",
            latitude=35.9306,
            longitude=36.6339,
            make="Samsung",
            model="SM-J500F",
            size=(1600, 1200),
        ),
        "photo-turned.jpg": samples.write_jpeg(
            folder / "photo-turned.jpg", seed=4, orientation=6, comment=b"witness: Amal", size=(1200, 900)
        ),
        "photo-noisy.jpg": folder / "photo-noisy.jpg",
        "photo-small.jpg": samples.write_jpeg(folder / "photo-small.jpg", seed=5, size=(300, 200)),
        "photo.png": folder / "photo.png",
        "photo.webp": folder / "photo.webp",
        "photo-appended-zip.jpg": folder / "photo-appended-zip.jpg",
        "clip.mp4": samples.write_video(
            folder / "clip.mp4", seconds=5, size="640x360", creation_time="2017-09-01T10:00:00Z"
        ),
        "clip-keyframes.mp4": samples.write_video(folder / "clip-keyframes.mp4", seconds=6, keyframe_every=25),
        "clip.mkv": samples.write_video(folder / "clip.mkv", seconds=3),
    }
    # Texture everywhere: a thumbnail or hash made by another route would differ in many pixels.
    from PIL import Image

    noise = Image.frombytes("RGB", (1600, 1200), random.Random(6).randbytes(1600 * 1200 * 3))
    Image.blend(samples.scene_image(6, (1600, 1200)), noise, 0.35).save(files["photo-noisy.jpg"], quality=90)
    samples.scene_image(7, (640, 480)).save(files["photo.png"], "PNG")
    samples.scene_image(8, (800, 600)).save(files["photo.webp"], "WEBP", quality=80)
    files["photo-appended-zip.jpg"].write_bytes(
        samples.jpeg_bytes(seed=9) + b"PK\x03\x04" + b"\x14\x00" * 20 + b"#!/bin/sh\nrm -rf /\n"
    )
    files["testimony.m4a"] = samples.extract_audio(files["clip.mp4"], folder / "testimony.m4a")
    whole = samples.write_video(folder / "whole.mp4", seconds=6, faststart=True)
    files["cut.mp4"] = samples.truncate_media_data(whole, folder / "cut.mp4", keep=1 / 3)
    whole.unlink()
    return files


def normalised(value, folder: str):
    """The value with the temporary folder's path replaced, so that recordings compare across runs."""
    if isinstance(value, dict):
        return {key: normalised(item, folder) for key, item in value.items() if key not in FILE_SYSTEM_TAGS}
    if isinstance(value, list):
        return [normalised(item, folder) for item in value]
    if isinstance(value, str):
        return value.replace(folder, "<folder>")
    return value


def results(folder: Path) -> dict[str, dict]:
    files = make_files(folder)
    found = {}
    for name, path in sorted(files.items()):
        mime, kind = classify(path.read_bytes()[:8192])
        derived = folder / f"derived-{name}"
        derived.mkdir()
        try:
            result = probe_media(str(path), kind=kind, mime=mime, derived_dir=str(derived))
        except ProbeFailed as failure:
            outcome = {"failure": failure.code, "reason": failure.reason, "quarantine": failure.quarantine}
        else:
            outcome = {key: value for key, value in vars(result).items()}
            for key in ("capture_time", "creation_time"):
                outcome[key] = outcome[key].isoformat() if outcome[key] else None
        outcome["input_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        outcome["derived_files"] = {
            derived_file.name: hashlib.sha256(derived_file.read_bytes()).hexdigest()
            for derived_file in sorted(derived.iterdir())
        }
        found[name] = normalised(json.loads(json.dumps(outcome, default=str)), str(folder))
    return found


@pytest.fixture(scope="module")
def recording():
    recorded = json.loads(RECORDING.read_text())
    if recorded["tools"] != tool_versions():
        pytest.skip(f"recorded with {recorded['tools']}, this machine has {tool_versions()}")
    return recorded


def test_metadata_derived_files_and_hashes_are_what_they_were(recording, tmp_path):
    found = results(tmp_path)
    for name, expected in recording["files"].items():
        if expected["input_sha256"] != found[name]["input_sha256"]:
            continue  # the generator made other bytes (another Pillow or encoder): nothing to compare
        assert found[name] == expected, name
    compared = [
        name for name in recording["files"] if recording["files"][name]["input_sha256"] == found[name]["input_sha256"]
    ]
    assert len(compared) >= len(recording["files"]) // 2, "too few generated files matched the recording"


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    with tempfile.TemporaryDirectory() as directory:
        recorded = {"tools": tool_versions(), "files": results(Path(directory))}
    RECORDING.write_text(json.dumps(recorded, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"recorded {len(recorded['files'])} files in {RECORDING}")
