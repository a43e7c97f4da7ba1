"""Growth: do the per-request costs stay flat as the archive grows? Statistics at 50,000, 200,000 and 1,000,000
victims, and the near-duplicate search per new item at 1,000, 10,000 and 100,000 media items in a case, each
printed beside its baseline (the former code path, bench/_legacy.py) measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cwbench_scaledb_scale .venv/bin/python bench/bench_scale.py \
        [--victims 50000,200000,1000000] [--media 1000,10000,100000] [--requests 30] [--reseed]

One PostgreSQL database (its name must contain "bench"; it is dropped and created again) grows in place: the
victims (with one incident per 10 victims, weapons, facilities and attributions) and the media items are
added by set-based INSERT ... SELECT generate_series (the media through COPY), the incident tolls and the
near-duplicate index are then written by one statement each, as the services would write them one by one.
Each step then measures:

- statistics: /api/statistics/ (every visible case, and Idlib in 2024) p50/p95 through Django's test client as
  an analyst; and the summary's victim figures alone, from the tolls kept on the incidents, beside the former
  recount of every victim (baseline), checking both give the same numbers;
- near-duplicates: the search for one item (the index) beside the former Python loop over the case (baseline),
  checking both find the same items at the same distances.
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_api import (  # noqa: E402
    copy_rows,
    database_create,
    database_name,
    migrate,
    percentile,
    setup_django,
    tolls_refresh_all,
)

ANALYST = "scale-analyst"
CASES = [("CW-SCALE-A", 0.9), ("CW-SCALE-B", 0.1)]
VICTIMS_PER_INCIDENT = 10


def parse_sizes(text: str) -> list[int]:
    return sorted(int(part.replace("_", "")) for part in text.split(",") if part.strip())


def base_rows() -> dict:
    """Cases, the analyst and a media uploader; the ids the SQL below needs."""
    from django.contrib.auth import get_user_model

    from casework.cases.models import Case, CaseMembership, CaseRole

    User = get_user_model()
    analyst, _ = User.objects.get_or_create(username=ANALYST)
    uploader, _ = User.objects.get_or_create(username="scale-intake")
    cases = []
    for reference, _share in CASES:
        case, _ = Case.objects.get_or_create(reference=reference, defaults={"title": f"Scale {reference}"})
        CaseMembership.objects.get_or_create(case=case, user=analyst, defaults={"role": CaseRole.ANALYST})
        CaseMembership.objects.get_or_create(case=case, user=uploader, defaults={"role": CaseRole.INTAKE})
        cases.append(case.pk)
    return {"case_a": cases[0], "case_b": cases[1], "uploader": uploader.pk}


def grow_victims(ids: dict, target: int) -> float:
    """Add incidents and victims up to `target` victims (set-based), then write every toll; seconds taken."""
    from django.db import connection

    from casework.incidents.models import VictimQuerySet

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM incidents_victim")
        have = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(max(id), 0) FROM incidents_incident")
        incidents_have = cursor.fetchone()[0]
        if have >= target:
            return 0.0
        incidents_target = target // VICTIMS_PER_INCIDENT
        vocabulary = {
            table: f"(SELECT array_agg(id ORDER BY id) AS a FROM incidents_{table} WHERE case_id IS NULL)"
            for table in ("governorate", "incidenttype", "weapontype", "facilitytype", "occupation", "party")
        }
        cursor.execute(
            f"""
            INSERT INTO incidents_incident (id, case_id, reference, title, description, start_time, date_precision,
                governorate_id, district, locality, incident_type_id, created_at, updated_at, version,
                civilians_killed, children_killed, adult_women_killed, injured, civilians_injured, is_massacre)
            SELECT n, CASE WHEN n %% 10 = 0 THEN %(case_b)s ELSE %(case_a)s END, 'INC-' || n, 'Strike', '',
                timestamptz '2020-01-01' + (n * 7919 %% 1826) * interval '1 day' + (n %% 86400) * interval '1 second',
                'exact',
                CASE WHEN n %% 3 = 0
                     THEN (SELECT id FROM incidents_governorate WHERE code = 'idlib' AND case_id IS NULL)
                     ELSE g.a[1 + n %% array_length(g.a, 1)] END,
                '', '', t.a[1 + n %% array_length(t.a, 1)], now(), now(), 1, 0, 0, 0, 0, 0, false
            FROM generate_series(%(first)s, %(last)s) AS n,
                {vocabulary["governorate"]} AS g, {vocabulary["incidenttype"]} AS t
            """,
            {**ids, "first": incidents_have + 1, "last": incidents_target},
        )
        cursor.execute(
            f"""
            INSERT INTO incidents_incident_weapons (incident_id, weapontype_id)
            SELECT n, w.a[1 + n %% array_length(w.a, 1)] FROM generate_series(%(first)s, %(last)s) AS n,
                {vocabulary["weapontype"]} AS w WHERE n %% 10 <> 0;
            INSERT INTO incidents_incident_facilities_hit (incident_id, facilitytype_id)
            SELECT n, f.a[1 + n %% array_length(f.a, 1)] FROM generate_series(%(first)s, %(last)s) AS n,
                {vocabulary["facilitytype"]} AS f WHERE n %% 2 = 0;
            INSERT INTO incidents_attribution (incident_id, party_id, confidence, basis)
            SELECT n, p.a[1 + n %% array_length(p.a, 1)],
                (ARRAY['confirmed', 'likely', 'possible'])[1 + n %% 3], 'Tracked'
            FROM generate_series(%(first)s, %(last)s) AS n, {vocabulary["party"]} AS p;
            """,
            {"first": incidents_have + 1, "last": incidents_target},
        )
        # Victims: a skewed spread over the incidents (some are massacres), ages consistent with the bands,
        # a third with an occupation, 1% linked as a second record of the victim before them.
        cursor.execute("SELECT setseed(%s)", [0.16 + have / 1e9])
        cursor.execute(
            f"""
            INSERT INTO incidents_victim (id, incident_id, name, sex, age, age_band, combatant_status, status,
                occupation_id, notes)
            SELECT n, 1 + floor(power(random(), 1.5) * %(incidents)s)::int, '',
                (ARRAY['male', 'female', 'male', 'unknown', 'female'])[1 + n %% 5],
                CASE WHEN n %% 10 < 3 THEN NULL ELSE n * 31 %% 90 END,
                CASE WHEN n %% 10 < 3 THEN (ARRAY['child', 'adult', 'unknown'])[1 + n %% 3]
                     WHEN n * 31 %% 90 < 18 THEN 'child' ELSE 'adult' END,
                (ARRAY['civilian', 'civilian', 'civilian', 'civilian', 'civilian', 'civilian', 'civilian',
                       'non_civilian', 'unknown'])[1 + n %% 9],
                (ARRAY['killed', 'killed', 'injured', 'missing', 'killed', 'injured', 'detained'])[1 + n %% 7],
                CASE WHEN n %% 3 = 0 THEN o.a[1 + n %% array_length(o.a, 1)] END, ''
            FROM generate_series(%(first)s, %(last)s) AS n, {vocabulary["occupation"]} AS o
            """,
            {"first": have + 1, "last": target, "incidents": incidents_target},
        )
        cursor.execute(
            "UPDATE incidents_victim v SET duplicate_of_id = v.id - 1 FROM incidents_victim p "
            "WHERE p.id = v.id - 1 AND p.incident_id = v.incident_id AND p.duplicate_of_id IS NULL "
            "AND v.id %% 100 = 0 AND v.id BETWEEN %s AND %s",
            [have + 1, target],
        )
        for table, model_ids in (("incidents_incident", incidents_target), ("incidents_victim", target)):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [model_ids])
        tolls_refresh_all(cursor, massacre_minimum=VictimQuerySet.massacre_minimum())
        cursor.execute("VACUUM ANALYZE incidents_incident")
        cursor.execute("VACUUM ANALYZE incidents_victim")
        cursor.execute("VACUUM ANALYZE incidents_incidentoccupationtoll")
    return time.perf_counter() - started


def grow_media(ids: dict, target: int, rng: random.Random) -> float:
    """Add processed photo items to the first case up to `target`, with their hashes and the hash index."""
    from datetime import UTC, datetime

    from django.db import connection

    from casework.evidence.models import MediaItem, MediaPerceptualHash, hash_bands
    from casework.evidence.services import _signed

    started = time.perf_counter()
    have = MediaItem.objects.filter(case_id=ids["case_a"]).count()
    if have >= target:
        return 0.0
    first_id = (MediaItem.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    values = []
    for _index in range(target - have):
        # One item in 50 is a re-encoded copy of an earlier one: a few bits flipped.
        if values and rng.random() < 0.02:
            value = rng.choice(values)
            for bit in rng.sample(range(64), rng.randrange(0, 13)):
                value ^= 1 << bit
        else:
            value = rng.getrandbits(64)
        values.append(value)
    now = datetime.now(UTC)
    reference = "CW-SCALE-A"
    copy_rows(
        MediaItem,
        [
            "id",
            "case_id",
            "exhibit_sequence",
            "exhibit_number",
            "original",
            "sha256",
            "size_bytes",
            "mime_type",
            "kind",
            "source",
            "acquired_at",
            "created_at",
            "acquired_by_id",
            "processing_state",
            "perceptual_hashes",
        ],
        (
            (
                first_id + index,
                ids["case_a"],
                have + index + 1,
                f"{reference}-E{have + index + 1:06d}",
                f"originals/scale-{first_id + index}",
                f"{first_id + index:064x}",
                1000,
                "image/jpeg",
                "photo",
                "witness",
                now,
                now,
                ids["uploader"],
                "done",
                f'["{value:016x}"]',
            )
            for index, value in enumerate(values)
        ),
    )
    copy_rows(
        MediaPerceptualHash,
        ["item_id", "case_id", "value", "band0", "band1", "band2", "band3"],
        ((first_id + index, ids["case_a"], _signed(value), *hash_bands(value)) for index, value in enumerate(values)),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('evidence_mediaitem', 'id'), %s)", [first_id + len(values)]
        )
        cursor.execute("VACUUM ANALYZE evidence_mediaitem")
        cursor.execute("VACUUM ANALYZE evidence_mediaperceptualhash")
    return time.perf_counter() - started


def timed(function, repeat: int) -> list[float]:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return sorted(timings)


def figures(label: str, timings: list[float], baseline: list[float] | None = None) -> str:
    text = f"p50 {percentile(timings, 0.5):8.1f} ms  p95 {percentile(timings, 0.95):8.1f} ms"
    if baseline:
        text += f"   baseline p50 {percentile(baseline, 0.5):8.1f} ms  p95 {percentile(baseline, 0.95):8.1f} ms"
    return f"  {label:<46} {text}"


def measure_statistics(client, requests: int) -> dict:
    from bench import _legacy
    from casework.statistics.selectors import StatisticsFilter
    from casework.statistics.selectors.summary import _killed_by_occupation, _totals_by_month

    result = {}
    from casework.cases.models import Case

    references = [reference for reference, _share in CASES]
    case_ids = tuple(Case.objects.filter(reference__in=references).order_by("id").values_list("id", flat=True))
    for name, url, filters in (
        ("every visible case", "/api/statistics/", StatisticsFilter(case_ids=case_ids)),
        (
            "idlib in 2024",
            "/api/statistics/?governorate=idlib&date_from=2024-01-01&date_to=2024-12-31",
            StatisticsFilter(
                case_ids=case_ids,
                governorate="idlib",
                date_from=dt.date(2024, 1, 1),
                date_to=dt.date(2024, 12, 31),
            ),
        ),
    ):
        assert client.get(url).status_code == 200
        for _ in range(2):
            client.get(url)
        requests_ms = timed(lambda url=url: client.get(url), requests)
        # Baseline: the same request adding up every filtered incident's tolls (the summary before the
        # monthly rollups; still its path for filters the rollups cannot answer), checked to give the same JSON.
        with mock.patch("casework.statistics.selectors.summary.rollups_apply", return_value=False):
            from_incidents = client.get(url).json()
            per_incident_ms = timed(lambda url=url: client.get(url), requests)
        assert client.get(url).json() == from_incidents, name
        new_ms = timed(lambda f=filters: (_totals_by_month(f), _killed_by_occupation(f)), requests)
        old_ms = timed(lambda f=filters: _legacy.statistics_recount(f), max(3, requests // 3))
        # The same numbers both ways.
        new_months = _totals_by_month(filters)
        old_months = _legacy.totals_by_month_recount(filters)
        for month, row in old_months.items():
            code = f"{month.year:04d}-{month.month:02d}"
            got = new_months[code]
            assert (got.incidents, got.massacres, *got.victims.values()) == tuple(int(v) for v in row), code
        assert len(new_months) == len(old_months)
        by_occupation = _killed_by_occupation(filters)
        for code, row in _legacy.killed_by_occupation_recount(filters).items():
            assert by_occupation[code or "none"] == {k: row[k] for k in by_occupation[code or "none"]}, code
        result[name] = (requests_ms, per_incident_ms, new_ms, old_ms)
    return result


def measure_victim_writes(writes: int) -> tuple[list[float], list[float]]:
    """A victim added through the service to a random incident, and removed again (the database keeps its size):
    each write recomputes the incident's tolls and recounts its month's rollup in the same transaction. Beside
    it, the baseline: the same write with the rollup recount left out (the tolls alone, as before the rollups).
    """
    from django.contrib.auth import get_user_model

    from casework.incidents import services
    from casework.incidents.models import Incident, Victim

    actor = get_user_model().objects.get(username=ANALYST)
    rng = random.Random(16)
    last = Incident.objects.order_by("-id").values_list("id", flat=True).first()
    killed = {"sex": "female", "age": 9, "age_band": "child", "combatant_status": "civilian", "status": "killed"}

    def add_and_remove(incident: Incident) -> None:
        victim = services.victim_write(actor=actor, incident=incident, values=killed)
        services.victim_delete(victim=Victim.objects.get(pk=victim.pk), actor=actor)

    timings = {}
    for name, recount in (("rollups", services.rollups_recount), ("tolls only", lambda *, keys: None)):
        incidents = [Incident.objects.get(pk=rng.randint(1, last)) for _ in range(writes)]
        with mock.patch.object(services, "rollups_recount", recount):
            add_and_remove(incidents[0])  # warm
            timings[name] = [ms / 2 for ms in timed_each(add_and_remove, incidents)]
    return timings["rollups"], timings["tolls only"]


def timed_each(function, arguments: list) -> list[float]:
    timings = []
    for argument in arguments:
        started = time.perf_counter()
        function(argument)
        timings.append((time.perf_counter() - started) * 1000)
    return sorted(timings)


def measure_media(probes: int, baseline_probes: int) -> tuple[list[float], list[float], int]:
    from bench import _legacy
    from casework.evidence.models import MediaItem
    from casework.evidence.services import media_near_duplicate_distances

    case = MediaItem.objects.order_by("id").values_list("case_id", flat=True).first()
    ids = list(MediaItem.objects.filter(case_id=case).values_list("id", flat=True))
    rng = random.Random(4)
    probe_ids = rng.sample(ids, min(probes, len(ids)))
    items = list(MediaItem.objects.filter(id__in=probe_ids).only("id", "case_id", "perceptual_hashes"))
    for item in items[:3]:
        media_near_duplicate_distances(item=item)  # warm
    new_ms, old_ms, found = [], [], 0
    for index, item in enumerate(items):
        started = time.perf_counter()
        indexed = media_near_duplicate_distances(item=item)
        new_ms.append((time.perf_counter() - started) * 1000)
        found += len(indexed)
        if index < baseline_probes:
            started = time.perf_counter()
            looped = _legacy.near_duplicates_loop(item)
            old_ms.append((time.perf_counter() - started) * 1000)
            assert indexed == looped, (item.pk, indexed, looped)
    return sorted(new_ms), sorted(old_ms), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--victims", default="50000,200000,1000000")
    parser.add_argument("--media", default="1000,10000,100000")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per figure")
    parser.add_argument("--reseed", action="store_true", help="drop the database first (otherwise it grows)")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        sys.exit("Set DATABASE_URL to a PostgreSQL database whose name contains 'bench'.")
    database_name(database_url)
    database_create(database_url, drop=args.reseed)
    setup_django(Path(tempfile.mkdtemp(prefix="casework-bench-scale-")))
    migrate()
    from django.contrib.auth import get_user_model
    from django.test import Client

    ids = base_rows()
    client = Client(raise_request_exception=False, SERVER_NAME="localhost", HTTP_ACCEPT="application/json")
    client.force_login(get_user_model().objects.get(username=ANALYST))
    growth = []
    for size in parse_sizes(args.victims):
        seconds = grow_victims(ids, size)
        print(f"\n{size:,} victims ({size // VICTIMS_PER_INCIDENT:,} incidents); grown in {seconds:.1f} s", flush=True)
        result = measure_statistics(client, args.requests)
        for name, (requests_ms, per_incident_ms, new_ms, old_ms) in result.items():
            print(figures(f"GET /api/statistics/, {name}", requests_ms))
            print(figures("  monthly rollups (vs per-incident sums)", requests_ms, per_incident_ms))
            print(figures("  victim figures: rollups (vs recount)", new_ms, old_ms))
            growth.append((size, name, requests_ms, per_incident_ms, new_ms, old_ms))
        writes_ms, tolls_only_ms = measure_victim_writes(args.requests)
        print(figures("victim write (tolls + rollup; vs tolls only)", writes_ms, tolls_only_ms))
    media_growth = []
    rng = random.Random(64)
    for size in parse_sizes(args.media):
        seconds = grow_media(ids, size, rng)
        print(f"\n{size:,} media items in a case; grown in {seconds:.1f} s", flush=True)
        new_ms, old_ms, found = measure_media(probes=100, baseline_probes=max(3, min(30, 300_000 // size)))
        print(figures("near-duplicates of one item: index (vs loop)", new_ms, old_ms) + f"  ({found} pairs found)")
        media_growth.append((size, new_ms, old_ms))

    print("\nGrowth table (p50; per request or per new item):")
    print(
        f"  {'victims':>10} {'statistics request':>20} {'per-incident sums':>18} {'victim figures':>16} "
        f"{'baseline recount':>18}  filter"
    )
    for size, name, requests_ms, per_incident_ms, new_ms, old_ms in growth:
        print(
            f"  {size:>10,} {percentile(requests_ms, 0.5):>17.1f} ms {percentile(per_incident_ms, 0.5):>15.1f} ms "
            f"{percentile(new_ms, 0.5):>13.1f} ms {percentile(old_ms, 0.5):>15.1f} ms  {name}"
        )
    print(f"  {'media':>10} {'index per item':>20} {'baseline loop':>16}")
    for size, new_ms, old_ms in media_growth:
        print(f"  {size:>10,} {percentile(new_ms, 0.5):>17.2f} ms {statistics.median(old_ms):>13.1f} ms")
    print(f"\nload average (1, 5, 15 min) at the end: {', '.join(f'{load:.2f}' for load in os.getloadavg())}")


if __name__ == "__main__":
    main()
