"""Evidence packet throughput against `zip -0 -r` of the same files, the build's peak memory, and the time
to render report.pdf for an incident with 50 victims, 10 testimonies and 100 media items, then 1,000.

    .venv/bin/python bench/bench_bundles.py [--total-mb 2048] [--files 8]
    .venv/bin/python bench/bench_bundles.py --report-only     # the report's render time and memory alone,
                                                              # for 100 and for 1,000 media

`zip` must be installed (Debian package `zip`) for the baseline.
"""

import argparse
import hashlib
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _django import setup_django  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """The resident memory now (Linux): unlike the peak, not raised by what the process once held and freed."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


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
    if len(sys.argv) in (4, 5) and sys.argv[1] == "--report-render":
        report_render(int(sys.argv[2]), Path(sys.argv[3]), trace=sys.argv[4:] == ["--tracemalloc"])
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


REPORT_MEDIA_COUNTS = (100, 1000)
# Goals (issue 16): 100 media in under 2 s, 1,000 in under 20 s, with memory that does not grow with the media.
REPORT_GOALS = {100: 2.0, 1000: 20.0}


def report_benchmark(case, user, workdir: Path, media_counts=REPORT_MEDIA_COUNTS) -> None:
    """report.pdf for incidents with 50 victims, 10 testimonies and 100 (then 1,000) media items, each rendered
    in a fresh process (as a worker renders it) so that its peak memory is the render's.

    The first 100 items go through intake and processing; the others are made directly (a generated thumbnail
    each, distinct, as processing would store it), which takes seconds instead of minutes.
    """
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from casework.bundles.models import EvidenceBundle
    from casework.evidence.models import MediaItem
    from casework.evidence.samples import jpeg_bytes
    from casework.evidence.services import media_ingest_stream, media_process
    from casework.incidents.models import Governorate, Incident, IncidentType, Victim
    from casework.witnesses.models import Testimony, TestimonyTranslation, Witness

    items: list = []
    figures = []
    for count in media_counts:
        incident = Incident.objects.create(
            case=case,
            reference=f"INC-R{count}",
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
            witness = Witness.objects.create(case=case, pseudonym=f"W-{count}-{number:03d}", relationship="eyewitness")
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
        while len(items) < min(count, 100):
            number = len(items)
            item = media_ingest_stream(
                stream=io.BytesIO(jpeg_bytes(seed=number, size=(640, 480))),
                case=case,
                original_filename=f"p{number}.jpg",
                source="activist_message",
                acquired_by=user,
                incidents=[],
            ).item
            media_process(item_id=item.pk)
            items.append(MediaItem.objects.get(pk=item.pk))
        template = items[0]
        while len(items) < count:
            number = len(items)
            original = jpeg_bytes(seed=number, size=(640, 480))
            thumbnail = jpeg_bytes(seed=number, size=(480, 360))
            item = MediaItem(
                case=case,
                original=default_storage.save(f"originals/{case.pk}/bench-{number}.jpg", ContentFile(original)),
                thumbnail=default_storage.save(f"derived/bench-{number}/thumbnail.jpg", ContentFile(thumbnail)),
                sha256=hashlib.sha256(original).hexdigest(),
                size_bytes=len(original),
                mime_type="image/jpeg",
                kind="photo",
                source="activist_message",
                original_filename=f"p{number}.jpg",
                acquired_at=timezone.now(),
                acquired_by=user,
                processing_state="done",
                processed_at=timezone.now(),
                capture_time=template.capture_time,
                width=640,
                height=480,
                perceptual_hashes=[f"{number:016x}"],
            )
            item.save()
            items.append(item)
        incident.media_items.add(*items[:count])
        bundle = EvidenceBundle.objects.create(
            case=case, scope="incidents", recipient="bench", profile="court", requested_by=user
        )
        bundle.incidents.add(incident)
        render = [sys.executable, str(Path(__file__).resolve()), "--report-render", str(bundle.pk), str(workdir)]
        timed = subprocess.run(render, capture_output=True, text=True, check=True).stdout.split()[-6:]
        seconds, cpu_seconds, megabytes, rss_before, rss_at_start, rss_after = (float(value) for value in timed)
        # A second render under tracemalloc (slower, so not timed): the Python heap's peak during the render.
        traced = subprocess.run([*render, "--tracemalloc"], capture_output=True, text=True, check=True)
        heap_peak = float(traced.stdout.split()[-1])
        figures.append((count, seconds, cpu_seconds, megabytes, rss_before, rss_at_start, rss_after, heap_peak))

    # CPU time as well: on a shared machine the wall time moves with everyone else's load.
    for count, seconds, cpu_seconds, megabytes, rss_before, rss_at_start, rss_after, heap_peak in figures:
        goal = REPORT_GOALS.get(count)
        print(
            f"report.pdf, 50 victims / 10 testimonies / {count:,} media: {seconds:.2f} s ({cpu_seconds:.2f} s CPU)"
            + (f", goal under {goal:g} s" if goal else "")
            + f"; {megabytes:.1f} MB"
        )
        print(
            f"  peak RSS {rss_after:.0f} MB: the render adds {rss_after - rss_at_start:.0f} MB to the "
            f"{rss_at_start:.0f} MB resident when it starts ({rss_after - rss_before:.0f} MB over the process's "
            f"earlier peak, {rss_before:.0f} MB); Python heap peak during the render {heap_peak:.1f} MB"
        )
    if len(figures) == 2:
        (small, *_, small_added, small_over_peak, small_heap), (large, *_, large_added, large_over_peak, large_heap) = (
            (row[0], row[6] - row[5], row[6] - row[4], row[7]) for row in figures
        )
        print(
            f"  {large:,} vs {small:,} media: render adds {large_added / max(small_added, 1):.2f}x the RSS "
            f"({large_over_peak / max(small_over_peak, 1):.2f}x over the earlier peak), "
            f"{large_heap / max(small_heap, 0.1):.2f}x the Python heap peak"
        )
    print(f"load average: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")


def report_render(bundle_id: int, workdir: Path, *, trace: bool = False) -> None:
    """Render the report of `bundle_id` as the builder would (every item of its incidents is an exhibit, every
    testimony a statement), timing the render alone."""
    setup_django(workdir, migrate=False)
    import tracemalloc

    import weasyprint  # noqa: F401  (imported before the clock starts, as in a worker that has built before)

    from casework.bundles import profiles
    from casework.bundles.builder import exhibit_number
    from casework.bundles.models import EvidenceBundle
    from casework.bundles.report import render_report
    from casework.evidence.models import MediaItem
    from casework.witnesses.models import Testimony

    bundle = EvidenceBundle.objects.select_related("case").get(pk=bundle_id)
    incidents = list(bundle.incidents.all())
    items = (
        MediaItem.objects.filter(incidents__in=incidents)
        .distinct()
        .select_related("acquired_by")
        .order_by("exhibit_sequence")
    )
    exhibits = [
        (
            exhibit_number(item),
            item,
            {
                "path": f"exhibits/{exhibit_number(item)}.jpg",
                "size": item.size_bytes,
                "sha256": item.sha256,
                "is_original": True,
                "acquired_by": item.acquired_by.get_username(),
            },
        )
        for item in items
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
    if trace:
        tracemalloc.start()
    rss_before, rss_at_start = peak_rss_mb(), current_rss_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    with tempfile.TemporaryFile(dir=workdir) as pdf:  # as the builder does: the report goes to a file
        render_report(
            bundle=bundle,
            rules=profiles.rules_for(bundle.profile),
            incidents=incidents,
            exhibits=exhibits,
            statements=statements,
            excluded=[],
            output=pdf,
        )
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        megabytes = pdf.tell() / 1e6
    if trace:
        print(tracemalloc.get_traced_memory()[1] / 1e6)
        return
    print(seconds, cpu_seconds, megabytes, rss_before, rss_at_start, peak_rss_mb())


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
