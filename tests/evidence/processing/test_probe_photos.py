"""Photos: EXIF capture time, position and device; a clean thumbnail; perceptual hashes for near-duplicates."""

import hashlib
from datetime import UTC, datetime, timedelta, timezone

from PIL import Image

from casework.evidence.processing import phash_distance, probe_media
from casework.evidence.samples import scene_image, write_jpeg

# DESIGN: distance 2 for a resized copy, 36 for a different photo.
NEAR_DUPLICATE_DISTANCE = 10


def probe_photo(path, derived_dir, mime="image/jpeg"):
    return probe_media(str(path), kind="photo", mime=mime, derived_dir=str(derived_dir))


def photo_hash(path, mime):
    derived = path.with_suffix(".derived")
    derived.mkdir()
    return probe_photo(path, derived, mime=mime).perceptual_hashes[0]


def test_jpeg_capture_time_position_and_device_are_read_exactly(tmp_path, derived_dir):
    photo = write_jpeg(
        tmp_path / "photo.jpg",
        capture_time=datetime(2017, 9, 19, 10, 41, 7),
        utc_offset="-05:00",
        latitude=-12.046374,
        longitude=-77.042793,
        make="Samsung",
        model="SM-J500F",
        software="J500FXXU1BQC1",
    )
    result = probe_photo(photo, derived_dir)
    assert result.capture_time == datetime(2017, 9, 19, 10, 41, 7, tzinfo=timezone(timedelta(hours=-5)))
    assert result.capture_time.utcoffset() == timedelta(hours=-5)
    assert (round(result.latitude, 6), round(result.longitude, 6)) == (-12.046374, -77.042793)
    assert (result.device_make, result.device_model, result.software) == ("Samsung", "SM-J500F", "J500FXXU1BQC1")
    assert (result.width, result.height, result.orientation) == (960, 720, None)
    assert result.raw["casework"]["capture_time_source"] == "EXIF:DateTimeOriginal"
    assert result.raw["exiftool"]["EXIF:Model"] == "SM-J500F"


def test_capture_time_without_a_zone_is_the_clock_time_with_its_zone_unknown_never_utc(tmp_path, derived_dir):
    # EXIF DateTimeOriginal without OffsetTimeOriginal: the phone's clock, in a zone nobody knows.
    photo = write_jpeg(tmp_path / "photo.jpg", capture_time=datetime(2020, 1, 2, 3, 4, 5))
    result = probe_photo(photo, derived_dir)
    assert result.capture_time == datetime(2020, 1, 2, 3, 4, 5) and result.capture_time.tzinfo is None
    assert result.capture_time_zone_known is False
    assert result.raw["casework"]["capture_time_zone"] == "unknown: the file gives a clock time without its zone"
    assert result.latitude is None and result.longitude is None


def test_capture_time_with_its_offset_has_its_zone_known(tmp_path, derived_dir):
    photo = write_jpeg(tmp_path / "photo.jpg", capture_time=datetime(2020, 1, 2, 3, 4, 5), utc_offset="+03:00")
    result = probe_photo(photo, derived_dir)
    assert result.capture_time == datetime(2020, 1, 2, 0, 4, 5, tzinfo=UTC)
    assert result.capture_time_zone_known is True


def test_png_without_metadata_has_size_thumbnail_and_hash_only(tmp_path, derived_dir):
    photo = tmp_path / "plain.png"
    scene_image(4, (640, 480)).save(photo, "PNG")
    result = probe_photo(photo, derived_dir, mime="image/png")
    assert (result.capture_time, result.latitude, result.device_make) == (None, None, "")
    assert (result.width, result.height, result.thumbnail_written) == (640, 480, True)
    assert len(result.perceptual_hashes) == 1 and len(result.perceptual_hashes[0]) == 16
    assert result.raw["pillow"]["format"] == "PNG"


def test_thumbnail_is_upright_small_and_carries_no_metadata(tmp_path, derived_dir):
    # Orientation 6: the camera was turned; viewers rotate the stored 960x720 pixels by 90 degrees.
    photo = write_jpeg(
        tmp_path / "turned.jpg", orientation=6, latitude=35.9306, longitude=36.6339, comment=b"witness: Amal"
    )
    original_digest = hashlib.sha256(photo.read_bytes()).hexdigest()
    result = probe_photo(photo, derived_dir)
    assert result.orientation == 6 and (result.width, result.height) == (960, 720)
    thumbnail_path = derived_dir / "thumbnail.jpg"
    with Image.open(thumbnail_path) as thumbnail:
        assert thumbnail.size == (360, 480)
        assert not thumbnail.getexif() and "comment" not in thumbnail.info and "exif" not in thumbnail.info
    assert b"witness: Amal" not in thumbnail_path.read_bytes()
    assert hashlib.sha256(photo.read_bytes()).hexdigest() == original_digest


def test_resized_reencoded_copy_is_near_and_a_different_photo_is_not(tmp_path):
    original = write_jpeg(tmp_path / "original.jpg", image=scene_image(31, (1600, 1200)))
    copy = tmp_path / "forwarded.webp"
    scene_image(31, (1600, 1200)).resize((480, 360)).save(copy, "WEBP", quality=60)
    unrelated = write_jpeg(tmp_path / "unrelated.jpg", image=scene_image(32, (1600, 1200)))
    original_hash = photo_hash(original, "image/jpeg")
    assert phash_distance(original_hash, photo_hash(copy, "image/webp")) <= NEAR_DUPLICATE_DISTANCE
    assert phash_distance(original_hash, photo_hash(unrelated, "image/jpeg")) > 2 * NEAR_DUPLICATE_DISTANCE


def test_motion_photo_with_its_video_appended_is_accepted(tmp_path, derived_dir):
    # Pixel and Samsung phones append the short video after the JPEG's end marker.
    photo = write_jpeg(tmp_path / "motion.jpg", seed=7)
    photo.write_bytes(photo.read_bytes() + b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x11" * 4000)
    result = probe_photo(photo, derived_dir)
    assert result.raw["casework"]["appended"] == "a video after the image (a motion photo)"
    assert result.thumbnail_written


def test_stereo_mpo_with_its_second_picture_is_accepted(tmp_path, derived_dir):
    photo = tmp_path / "stereo.jpg"
    scene_image(8).save(photo, "MPO", save_all=True, append_images=[scene_image(9)])
    result = probe_photo(photo, derived_dir)
    assert result.raw["pillow"]["format"] == "MPO" and result.thumbnail_written


def test_pdf_document_gets_its_metadata_read_but_is_never_rendered(tmp_path, derived_dir):
    document = tmp_path / "report.pdf"
    scene_image(5, (400, 300)).save(document, "PDF", title="Field report", author="Monitor 7")
    result = probe_media(str(document), kind="document", mime="application/pdf", derived_dir=str(derived_dir))
    assert result.raw["exiftool"]["PDF:Author"] == "Monitor 7"
    assert (result.thumbnail_written, result.perceptual_hashes, list(derived_dir.iterdir())) == (False, [], [])
