import os

import pytest

from casework.evidence.samples import write_jpeg, write_video
from tests.captures.sources import Sources, serving

# Read by the session's worker process (started after collection), which fetches from the suite's local server.
os.environ["CASEWORK_CAPTURE_ALLOW_LOOPBACK"] = "1"
os.environ["CASEWORK_CAPTURE_SECONDS"] = "30"


@pytest.fixture(scope="session")
def source_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sources")
    return {"video": write_video(folder / "clip.mp4", seconds=2.0), "photo": write_jpeg(folder / "photo.jpg")}


@pytest.fixture
def web(source_files):
    """A local HTTP server for the test: `web.base` is its address."""
    with serving(Sources(video=source_files["video"], photo=source_files["photo"])) as sources:
        yield sources


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    """The suite's sources are on 127.0.0.1: only tests let captures reach loopback."""
    settings.CASEWORK_CAPTURE_ALLOW_LOOPBACK = True
    settings.CASEWORK_CAPTURE_SECONDS = 30
