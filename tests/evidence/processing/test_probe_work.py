"""How much work a probe does (issue 16, Must 6): a photo is decoded once and one resize gives both its
thumbnail and its perceptual hash; a video is read by one ffprobe and one ffmpeg run, not a process per step.
The figures are bench_metadata's; these tests hold the structure that gives them.

The parser's functions are called in this process (the sandbox's child runs the same code), so that the
decoder and the process starts can be counted."""

import importlib
import os

import pytest
from PIL import Image

from casework.evidence.samples import scene_image, write_jpeg, write_video


@pytest.fixture(scope="module")
def child():
    """The sandbox child's module, imported here; the thread limits it sets on import are undone after."""
    environment = dict(os.environ)
    try:
        return importlib.import_module("casework.evidence.processing.child")
    finally:
        os.environ.clear()
        os.environ.update(environment)


def test_a_photo_is_decoded_once_and_one_resize_serves_the_thumbnail_and_the_hash(child, tmp_path, monkeypatch):
    photo = write_jpeg(tmp_path / "photo.jpg", image=scene_image(3, (2400, 1800)))
    derived = tmp_path / "derived"
    derived.mkdir()
    opened, hashed = [], []
    real_open, real_phash = Image.open, child.imagehash.phash
    monkeypatch.setattr(Image, "open", lambda *args, **kwargs: opened.append(args) or real_open(*args, **kwargs))
    monkeypatch.setattr(
        child.imagehash, "phash", lambda image, *args, **kwargs: hashed.append(image.copy()) or real_phash(image)
    )
    result = {"raw": {"casework": {}}}
    child.probe_image(str(photo), "image/jpeg", derived, result)
    assert len(opened) == 1
    [hashed_image] = hashed
    with real_open(derived / "thumbnail.jpg") as thumbnail:
        assert hashed_image.size == thumbnail.size == (480, 360)
    assert result["perceptual_hashes"] == [str(real_phash(hashed_image))]
    assert (result["width"], result["height"]) == (2400, 1800)


def test_a_video_is_read_by_one_ffprobe_and_one_ffmpeg_run(child, tmp_path, monkeypatch):
    clip = write_video(tmp_path / "clip.mp4", seconds=5, keyframe_every=25)
    derived = tmp_path / "derived"
    derived.mkdir()
    started = []
    real_popen = child.subprocess.Popen

    def counted_popen(command, *args, **kwargs):
        started.append(os.path.basename(command[0]))
        return real_popen(command, *args, **kwargs)

    monkeypatch.setattr(child.subprocess, "Popen", counted_popen)  # subprocess.run starts through it too
    result = {"raw": {"casework": {}}}
    child.probe_audio_video(str(clip), "video", "video/mp4", derived, result, timeout_seconds=60)
    assert sorted(started) == ["ffmpeg", "ffprobe"]
    assert round(result["duration_seconds"]) == 5
    assert len(list(derived.glob("keyframe-*.jpg"))) >= 2
    assert len(result["perceptual_hashes"]) >= 2
