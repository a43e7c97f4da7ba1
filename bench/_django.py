"""Start Django on a throw-away SQLite database and media folder, for benchmarks."""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(workdir: Path | None = None, *, migrate: bool = True) -> Path:
    workdir = workdir or Path(tempfile.mkdtemp(prefix="casework-bench-"))
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ.pop("FILE_UPLOAD_TEMP_DIR", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casework.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    return workdir
