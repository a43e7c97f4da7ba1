"""Video and audio: container facts from ffprobe, position from QuickTime atoms, keyframes and their hashes."""

from datetime import UTC, datetime

import pytest
from PIL import Image

from casework.evidence import samples
from casework.evidence.processing import ProbeFailed, classify, phash_distance, probe_media
from casework.evidence.samples import extract_audio, reencode_video, write_video

NEAR_DUPLICATE_DISTANCE = 10


def probe_file(path, derived_dir):
    mime, kind = classify(path.read_bytes()[:8192])
    return probe_media(str(path), kind=kind, mime=mime, derived_dir=str(derived_dir))


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """6 s, 320x240 at 25 frame/s with a keyframe every second, recorded 2017-09-19 07:41:07 UTC."""
    folder = tmp_path_factory.mktemp("clip")
    return write_video(
        folder / "clip.mp4",
        seconds=6,
        keyframe_every=25,
        extra=("-metadata", "creation_time=2017-09-19T07:41:07Z"),
    )


def test_video_duration_codecs_resolution_and_creation_time(clip, derived_dir):
    result = probe_file(clip, derived_dir)
    assert result.duration_seconds == pytest.approx(6.0, abs=0.1)
    assert (result.video_codec, result.audio_codec, result.width, result.height) == ("h264", "aac", 320, 240)
    assert result.frame_rate == 25
    assert "mp4" in result.container
    assert result.creation_time == datetime(2017, 9, 19, 7, 41, 7, tzinfo=UTC)
    assert result.capture_time == datetime(2017, 9, 19, 7, 41, 7, tzinfo=UTC)
    assert result.raw["ffprobe"]["streams"][0]["codec_name"] == "h264"


def test_keyframes_are_spread_over_the_video_and_the_first_is_the_poster(clip, derived_dir):
    result = probe_file(clip, derived_dir)
    assert result.keyframe_paths == [str(derived_dir / f"keyframe-0{number}.jpg") for number in range(1, 7)]
    assert len(result.perceptual_hashes) == 6 and len(set(result.perceptual_hashes)) > 1
    assert result.thumbnail_written
    assert (derived_dir / "poster.jpg").read_bytes() == (derived_dir / "keyframe-01.jpg").read_bytes()
    with Image.open(derived_dir / "poster.jpg") as poster:
        assert poster.size == (320, 240)  # never enlarged


def test_position_in_a_quicktime_location_atom_is_read(tmp_path, derived_dir):
    video = write_video(tmp_path / "recorded.mov", seconds=1, extra=("-metadata", "location=-33.4489-070.6693/"))
    result = probe_file(video, derived_dir)
    assert (result.latitude, result.longitude) == (-33.4489, -70.6693)


def test_reencoded_copy_is_near_on_its_poster_and_an_unrelated_video_is_not(clip, tmp_path):
    forwarded = reencode_video(clip, tmp_path / "forwarded.mp4", size="240x180", rate=15)
    unrelated = write_video(tmp_path / "unrelated.mp4", seconds=2, pattern="smptebars")
    hashes = {}
    for name, path in (("clip", clip), ("forwarded", forwarded), ("unrelated", unrelated)):
        (tmp_path / name).mkdir()
        hashes[name] = probe_file(path, tmp_path / name).perceptual_hashes
    assert phash_distance(hashes["clip"][0], hashes["forwarded"][0]) <= NEAR_DUPLICATE_DISTANCE
    assert min(phash_distance(hashes["clip"][0], other) for other in hashes["unrelated"]) > NEAR_DUPLICATE_DISTANCE


def test_audio_recording_has_duration_and_codec_but_no_pictures(clip, tmp_path, derived_dir):
    recording = extract_audio(clip, tmp_path / "testimony.m4a")
    result = probe_file(recording, derived_dir)
    assert result.duration_seconds == pytest.approx(6.0, abs=0.1)
    assert (result.audio_codec, result.video_codec) == ("aac", "")
    assert (result.thumbnail_written, result.perceptual_hashes, list(derived_dir.iterdir())) == (False, [], [])


def test_truncated_mp4_is_refused_as_incomplete_not_read_as_whole(tmp_path, derived_dir):
    # Its index (moov, before the data) still declares 6 s; two thirds of the media data are missing.
    whole = samples.write_video(tmp_path / "whole.mp4", seconds=6, faststart=True)
    cut = samples.truncate_media_data(whole, tmp_path / "cut.mp4", keep=1 / 3)
    assert probe_file(whole, tmp_path).duration_seconds == pytest.approx(6.0, abs=0.1)
    with pytest.raises(ProbeFailed) as failure:
        probe_file(cut, derived_dir)
    assert failure.value.code == "incomplete" and not failure.value.quarantine
    assert failure.value.reason.startswith("The file is incomplete: it declares 6.0 seconds of media, but its data")
    assert str(tmp_path) not in failure.value.reason
    assert list(derived_dir.iterdir()) == []


def test_truncated_matroska_is_refused_as_incomplete(tmp_path, derived_dir):
    whole = samples.write_video(tmp_path / "whole.mkv", seconds=6)
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(ProbeFailed, match="The file is incomplete") as failure:
        probe_file(cut, derived_dir)
    assert "ended prematurely" in failure.value.reason


def test_quicktime_date_without_a_zone_is_kept_with_its_zone_unknown(tmp_path, derived_dir):
    # Apple's creation date normally carries the zone; without one it is the device's clock time, not UTC.
    video = samples.write_video(
        tmp_path / "recorded.mov", seconds=1, metadata={"com.apple.quicktime.creationdate": "2017-09-19T10:41:07"}
    )
    result = probe_file(video, derived_dir)
    assert result.capture_time == datetime(2017, 9, 19, 10, 41, 7) and result.capture_time.tzinfo is None
    assert result.capture_time_zone_known is False


def test_quicktime_date_with_its_zone_and_the_utc_container_date_have_known_zones(clip, tmp_path, derived_dir):
    video = samples.write_video(
        tmp_path / "recorded.mov", seconds=1, metadata={"com.apple.quicktime.creationdate": "2017-09-19T10:41:07+0300"}
    )
    result = probe_file(video, derived_dir)
    assert (result.capture_time, result.capture_time_zone_known) == (datetime(2017, 9, 19, 7, 41, 7, tzinfo=UTC), True)
    (tmp_path / "clip").mkdir()
    assert probe_file(clip, tmp_path / "clip").capture_time_zone_known is True  # QuickTime CreateDate: UTC by spec
