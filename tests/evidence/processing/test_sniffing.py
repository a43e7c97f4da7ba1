"""The sniffed type decides what is accepted; names and claimed types do not."""

import io

import pytest
from PIL import Image

from casework.evidence.processing import ALLOWED_MIME_TYPES, UnsupportedMedia, classify, phash_distance
from casework.evidence.samples import write_jpeg, write_video


def image_bytes(format_name: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buffer, format_name)
    return buffer.getvalue()


def test_photos_and_videos_are_classified_by_their_bytes_not_their_names(tmp_path):
    video = write_video(tmp_path / "clip.bin", seconds=1, extra=("-f", "mp4"))
    assert classify(write_jpeg(tmp_path / "photo.png").read_bytes()[:8192]) == ("image/jpeg", "photo")
    assert classify(image_bytes("PNG")) == ("image/png", "photo")
    assert classify(image_bytes("WEBP")) == ("image/webp", "photo")
    assert classify(video.read_bytes()[:8192]) == ("video/mp4", "video")
    assert classify(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n") == (
        "application/pdf",
        "document",
    )


def test_html_named_like_a_photo_is_refused_with_its_real_type():
    html = b"<!DOCTYPE html><html><head><script>fetch('/api/cases')</script></head><body></body></html>"
    with pytest.raises(UnsupportedMedia, match="text/html are not accepted"):
        classify(html)


def test_svg_with_a_script_is_refused():
    svg = (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
    )
    with pytest.raises(UnsupportedMedia, match="image/svg"):
        classify(svg)


def test_postscript_is_refused_because_it_needs_ghostscript():
    with pytest.raises(UnsupportedMedia, match="postscript"):
        classify(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")


def test_no_scriptable_type_is_on_the_allow_list():
    assert not [mime for mime in ALLOWED_MIME_TYPES if "svg" in mime or "html" in mime or "postscript" in mime]
    assert set(ALLOWED_MIME_TYPES.values()) == {"photo", "video", "audio", "document"}


def test_phash_distance_counts_differing_bits():
    assert phash_distance("ffff0000ffff0000", "ffff0000ffff0000") == 0
    assert phash_distance("ffff0000ffff0000", "ffff0000ffff0003") == 2
    assert phash_distance("0000000000000000", "ffffffffffffffff") == 64
    with pytest.raises(ValueError):
        phash_distance("ff", "ffff")
