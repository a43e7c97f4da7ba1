import pytest

from casework.evidence.samples import write_jpeg, write_video
from tests.captures.sources import Sources, serving


@pytest.fixture(scope="session")
def source_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sources")
    return {"video": write_video(folder / "clip.mp4", seconds=2.0), "photo": write_jpeg(folder / "photo.jpg")}


@pytest.fixture
def web(source_files):
    """A local HTTP server for the test: `web.base` is its address."""
    with serving(Sources(video=source_files["video"], photo=source_files["photo"])) as sources:
        yield sources
