"""Evidence packet throughput against `zip -0 -r` of the same files, the build's peak memory, and the time
to render report.pdf for an incident with 50 victims, 10 testimonies and 100 media items.

    .venv/bin/python bench/bench_bundles.py [--total-mb 2048] [--files 8]
    .venv/bin/python bench/bench_bundles.py --report-only     # the report's render time and memory alone

`zip` must be installed (Debian package `zip`) for the baseline.
"""

import argparse
import hashlib
import io
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _django import setup_django  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_only(bundle_id: int, workdir: Path) -> None:
    setup_django(workdir, migrate=False)
    from casework.bundles.builder import build_packet
    from casework.bundles.models import EvidenceBundle

    bundle = EvidenceBundle.objects.select_related("case").get(pk=bundle_id)
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    build_packet(bundle, workdir / "packet.zip")
    seconds = time.perf_counter() - started
    (workdir / "packet.zip").unlink()
    print(seconds, rss_before, peak_rss_mb())


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--build-only":
        build_only(int(sys.argv[2]), Path(sys.argv[3]))
        return
    if len(sys.argv) == 4 and sys.argv[1] == "--report-render":
        report_render(int(sys.argv[2]), Path(sys.argv[3]))
        return
    if sys.argv[1:] == ["--report-only"]:
        report_only()
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--total-mb", type=int, default=2048)
    parser.add_argument("--files", type=int, default=8)
    args = parser.parse_args()
    workdir = setup_django()

    from django.contrib.auth import get_user_model
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from casework.bundles.models import EvidenceBundle
    from casework.cases.models import Case
    from casework.evidence.models import MediaItem
    from casework.incidents.models import Governorate, Incident, IncidentType
    from casework.incidents.vocabularies import vocabularies_seed

    vocabularies_seed()
    case = Case.objects.create(reference="CW-BENCH", title="Benchmark")
    user = get_user_model().objects.create(username="bench")
    incident = Incident.objects.create(
        case=case,
        reference="INC-1",
        title="Benchmark incident",
        start_time=timezone.now(),
        governorate=Governorate.objects.get(code="idlib"),
        incident_type=IncidentType.objects.get(code="airstrike"),
    )

    # Large originals (random bytes: incompressible, like video), stored as intake would store them.
    file_mb = args.total_mb // args.files
    chunk = os.urandom(1024 * 1024)
    for number in range(args.files):
        digest = hashlib.sha256()
        name = f"originals/{case.pk}/bench-{number}"
        path = Path(default_storage.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as out:
            for block in range(file_mb):
                data = chunk[:-8] + number.to_bytes(4, "big") + block.to_bytes(4, "big")
                digest.update(data)
                out.write(data)
        item = MediaItem.objects.create(
            case=case,
            original=name,
            sha256=digest.hexdigest(),
            size_bytes=path.stat().st_size,
            mime_type="video/mp4",
            kind="video",
            source="activist_message",
            original_filename=f"clip-{number}.mp4",
            acquired_at=timezone.now(),
            acquired_by=user,
            processing_state="done",
        )
        item.incidents.add(incident)
    originals_dir = Path(default_storage.path(f"originals/{case.pk}"))
    size_mb = sum(path.stat().st_size for path in originals_dir.iterdir()) / 1e6
    subprocess.run(["cat", *map(str, originals_dir.iterdir())], stdout=subprocess.DEVNULL, check=True)  # warm

    started = time.perf_counter()
    subprocess.run(["zip", "-0", "-q", "-r", str(workdir / "baseline.zip"), "."], cwd=originals_dir, check=True)
    zip_seconds = time.perf_counter() - started
    (workdir / "baseline.zip").unlink()

    bundle = EvidenceBundle.objects.create(
        case=case, scope="case", recipient="bench", profile="court", requested_by=user
    )
    # Built in a fresh process that loads only Django and the builder, as a worker does, so its peak memory
    # is the worker's and not this script's (which made the test data).
    child = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--build-only", str(bundle.pk), str(workdir)],
        capture_output=True,
        text=True,
        check=True,
    )
    build_seconds, rss_before, rss_after = (float(value) for value in child.stdout.split()[-3:])

    print(f"media in the packet:           {size_mb:,.0f} MB in {args.files} files")
    print(f"zip -0 -r:                     {size_mb / zip_seconds:,.0f} MB/s ({zip_seconds:.2f} s)")
    print(
        f"packet (hash re-verified, ZIP64, manifest, signature, report): "
        f"{size_mb / build_seconds:,.0f} MB/s ({build_seconds:.2f} s)"
    )
    print(f"packet / zip -0:               {zip_seconds / build_seconds:.2f}x")
    print(f"worker-like process peak RSS:  {rss_after:.0f} MB (Django loaded, before the build: {rss_before:.0f} MB)")

    report_benchmark(case, user, workdir)


def report_benchmark(case, user, workdir: Path) -> None:
    """report.pdf for an incident with 50 victims, 10 testimonies and 100 media items, rendered in a fresh
    process (as a worker renders it) so that its peak memory is the render's."""
    from django.utils import timezone

    from casework.bundles.models import EvidenceBundle
    from casework.evidence.samples import jpeg_bytes
    from casework.evidence.services import media_ingest_stream, media_process
    from casework.incidents.models import Governorate, Incident, IncidentType, Victim
    from casework.witnesses.models import Testimony, TestimonyTranslation, Witness

    incident = Incident.objects.create(
        case=case,
        reference="INC-2",
        title="Report benchmark",
        start_time=timezone.now(),
        governorate=Governorate.objects.get(code="aleppo"),
        incident_type=IncidentType.objects.get(code="shelling"),
    )
    for number in range(50):
        Victim.objects.create(
            incident=incident,
            name=f"Victim {number}",
            sex="female" if number % 2 else "male",
            age=5 + number,
            age_band="unknown",
            status="killed",
        )
    for number in range(10):
        witness = Witness.objects.create(case=case, pseudonym=f"W-{number:03d}", relationship="eyewitness")
        testimony = Testimony.objects.create(
            case=case,
            witness=witness,
            interview_date=timezone.localdate(),
            interviewer=user,
            created_by=user,
            method="phone",
            language="ar",
            original_text="كنت في السوق عندما سقطت القنابل. " * 20,
        )
        testimony.incidents.add(incident)
        TestimonyTranslation.objects.create(
            testimony=testimony, language="en", text="I was in the market when the bombs fell. " * 20
        )
    for number in range(100):
        item = media_ingest_stream(
            stream=io.BytesIO(jpeg_bytes(seed=number, size=(640, 480))),
            case=case,
            original_filename=f"p{number}.jpg",
            source="activist_message",
            acquired_by=user,
            incidents=[incident],
        ).item
        media_process(item_id=item.pk)
    bundle = EvidenceBundle.objects.create(
        case=case, scope="incidents", recipient="bench", profile="court", requested_by=user
    )
    bundle.incidents.add(incident)
    child = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--report-render", str(bundle.pk), str(workdir)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, cpu_seconds, megabytes, rss_before, rss_after = (float(value) for value in child.stdout.split()[-5:])
    # CPU time as well: on a shared machine the wall time moves with everyone else's load.
    print(
        f"report.pdf, 50 victims / 10 testimonies / 100 media: {seconds:.2f} s ({cpu_seconds:.2f} s CPU), "
        f"{megabytes:.1f} MB"
    )
    print(f"report render peak RSS:        {rss_after:.0f} MB (before the render: {rss_before:.0f} MB)")


def report_render(bundle_id: int, workdir: Path) -> None:
    """Render the report of `bundle_id` as the builder would (every item of its incidents is an exhibit, every
    testimony a statement), timing the render alone."""
    setup_django(workdir, migrate=False)
    import weasyprint  # noqa: F401  (imported before the clock starts, as in a worker that has built before)

    from casework.bundles import profiles
    from casework.bundles.builder import exhibit_number
    from casework.bundles.models import EvidenceBundle
    from casework.bundles.report import render_report
    from casework.evidence.models import MediaItem
    from casework.witnesses.models import Testimony

    bundle = EvidenceBundle.objects.select_related("case").get(pk=bundle_id)
    incidents = list(bundle.incidents.all())
    items = MediaItem.objects.filter(incidents__in=incidents).select_related("acquired_by").order_by("pk")
    exhibits = [
        (
            exhibit_number(bundle, index),
            item,
            {
                "path": f"exhibits/{exhibit_number(bundle, index)}.jpg",
                "size": item.size_bytes,
                "sha256": item.sha256,
                "is_original": True,
                "acquired_by": item.acquired_by.get_username(),
            },
        )
        for index, item in enumerate(items, start=1)
    ]
    statements = [
        {
            "witness": testimony.witness.pseudonym,
            "witness_name": None,
            "interview_date": testimony.interview_date.isoformat(),
            "method": testimony.method,
            "language": testimony.language,
            "status": testimony.status,
            "text": testimony.original_text,
            "translations": {t.language: t.text for t in testimony.translations.all()},
            "incidents": [incident.reference for incident in incidents],
        }
        for testimony in Testimony.objects.filter(incidents__in=incidents).select_related("witness").order_by("pk")
    ]
    rss_before = peak_rss_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    pdf = render_report(
        bundle=bundle,
        rules=profiles.rules_for(bundle.profile),
        incidents=incidents,
        exhibits=exhibits,
        statements=statements,
        excluded=[],
    )
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    print(seconds, cpu_seconds, len(pdf) / 1e6, rss_before, peak_rss_mb())


def report_only() -> None:
    workdir = setup_django()
    from django.contrib.auth import get_user_model

    from casework.cases.models import Case
    from casework.incidents.vocabularies import vocabularies_seed

    vocabularies_seed()
    case = Case.objects.create(reference="CW-BENCH", title="Benchmark")
    user = get_user_model().objects.create(username="bench")
    report_benchmark(case, user, workdir)


if __name__ == "__main__":
    main()
