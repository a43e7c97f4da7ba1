"""Case-wide search latency on PostgreSQL: 100,000 testimonies (half Arabic) and 200,000 victims.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cwbench_search .venv/bin/python bench/bench_search.py \
        [--runs 60] [--reseed]

The first run creates the database (its name must contain "bench": it may be dropped), migrates it, seeds
one case with 10,000 incidents, 200,000 victims (half with Arabic names, half transliterated) and 100,000
testimonies (half in Arabic, half in English, a few sentences each from a varied phrase book), and fills the
search index the way `manage.py search_reindex` does (timed). Later runs reuse the data and only measure.

Each typical query runs --runs times, through the same selector as the page (`search_entries`, then a page
of 20 and its count through Django's Paginator, then `search_hits` for the snippets), and prints p50/p95
beside the goal (p95 < 100 ms), then EXPLAIN ANALYZE of the page query with the indexes its plan uses.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_api import copy_rows, database_create, database_name, migrate, setup_django  # noqa: E402

INCIDENTS = 10_000
VICTIMS = 200_000
WITNESSES = 5_000
TESTIMONIES = 100_000
CASE_REFERENCE = "CW-SEARCH"
FIRST_DAY = date(2015, 1, 1)
DAYS = 3650
GOAL_P95_MS = 100

AR_FIRST = [
    "محمد",
    "أحمد",
    "علي",
    "عمر",
    "خالد",
    "يوسف",
    "إبراهيم",
    "حسن",
    "فاطمة",
    "عائشة",
    "مريم",
    "هدى",
    "رانيا",
    "سارة",
    "زينب",
    "ليلى",
    "مصطفى",
    "عبد الرحمن",
    "عبد الله",
    "إسماعيل",
    "نور",
    "سلمى",
    "حمزة",
    "طارق",
]
AR_FAMILY = [
    "الأحمد",
    "الحسن",
    "خليل",
    "العمر",
    "حداد",
    "السيد",
    "درويش",
    "المصري",
    "ياسين",
    "الحلبي",
    "الإدلبي",
    "الشامي",
    "النجار",
    "العلي",
    "قاسم",
    "الخطيب",
    "حمود",
    "الزعبي",
    "الحمصي",
    "السعدي",
]
EN_FIRST = [
    "Mohammed",
    "Ahmad",
    "Ali",
    "Omar",
    "Khaled",
    "Yousef",
    "Ibrahim",
    "Hassan",
    "Fatima",
    "Aisha",
    "Maryam",
    "Huda",
    "Rania",
    "Sara",
    "Zainab",
    "Layla",
    "Mustafa",
    "Abdulrahman",
    "Abdullah",
    "Ismail",
    "Nour",
    "Salma",
    "Hamza",
    "Tarek",
]
EN_FAMILY = [
    "Al-Ahmad",
    "Al-Hassan",
    "Khalil",
    "Al-Omar",
    "Haddad",
    "Al-Sayed",
    "Darwish",
    "Al-Masri",
    "Yassin",
    "Al-Halabi",
    "Al-Idlibi",
    "Al-Shami",
    "Al-Najjar",
    "Al-Ali",
    "Kassem",
    "Al-Khatib",
    "Hammoud",
    "Al-Zoubi",
    "Al-Homsi",
    "Al-Saadi",
]
PLACES_EN = [
    "market",
    "bakery",
    "school",
    "mosque",
    "field hospital",
    "water station",
    "checkpoint",
    "bus station",
    "olive grove",
    "refugee camp",
    "clinic",
    "town square",
    "main road",
    "football pitch",
    "power plant",
]
PLACES_AR = [
    "السوق",
    "الفرن",
    "المدرسة",
    "المسجد",
    "المستشفى الميداني",
    "محطة المياه",
    "الحاجز",
    "الكراج",
    "بستان الزيتون",
    "المخيم",
    "المستوصف",
    "الساحة",
    "الطريق الرئيسي",
    "الملعب",
    "محطة الكهرباء",
]
WEAPONS_EN = ["barrel bomb", "cluster munition", "rocket", "artillery shell", "airstrike", "mortar", "sniper fire"]
WEAPONS_AR = ["برميل متفجر", "ذخيرة عنقودية", "صاروخ", "قذيفة مدفعية", "غارة جوية", "قذيفة هاون", "رصاص قناص"]
EN_SENTENCES = [
    "I was near the {place} when the {weapon} hit.",
    "We heard the aircraft overhead and ran towards the {place}.",
    "The second {weapon} came about ten minutes later, when people had gathered at the {place}.",
    "They carried the injured from the {place} to the nearest clinic.",
    "My neighbour was killed at the entrance of the {place}.",
    "Smoke covered the street beside the {place} for an hour.",
    "There was no military position anywhere near the {place}.",
    "Children were playing outside the {place} before the {weapon}.",
]
AR_SENTENCES = [
    "كنت قرب {place} عندما سقط {weapon}.",
    "سمعنا صوت الطائرة فوقنا وركضنا نحو {place}.",
    "جاء {weapon} الثاني بعد عشر دقائق عندما تجمع الناس عند {place}.",
    "نقلنا الجرحى من {place} إلى أقرب مستوصف.",
    "قُتل جاري عند مدخل {place}.",
    "غطى الدخان الشارع بجانب {place} لمدة ساعة.",
    "لم يكن هناك أي موقع عسكري قرب {place}.",
    "كان الأطفال يلعبون أمام {place} قبل سقوط {weapon}.",
]

# (label, query text, filters); each run picks one of the texts, so the plan sees different words.
QUERIES = [
    ("one English word", ["bakery", "checkpoint", "mosque", "stadium", "olive"], {}),
    ("one Arabic word, spelling variant (ة/ه, أ/ا)", ["الطائره", "المدرسه", "المستشفي", "الاطفال"], {}),
    ("English phrase", ['"field hospital"', '"cluster munition"', '"water station"'], {}),
    ("Arabic phrase", ['"محطه المياه"', '"برميل متفجر"', '"بستان الزيتون"'], {}),
    (
        "victim name, spelling variant",
        ["Mohamad Alhasan", "Fatema Darwich", "Youssef Kasem", "Aysha Haddad"],
        {"kinds": ("victim",)},
    ),  # fmt: skip
    ("Arabic victim name, variant", ["احمد الاحمد", "زينب الخطيب", "اسماعيل حمود"], {"kinds": ("victim",)}),
    ("word + date range + governorate", ["market", "السوق", "rocket"], {"dated": True}),
]


def seed(rng: random.Random) -> None:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from casework.cases.models import Case, CaseMembership, CaseRole
    from casework.incidents import models as incidents
    from casework.witnesses import models as witnesses

    User = get_user_model()
    governorates = list(incidents.Governorate.objects.filter(case=None).values_list("id", flat=True))
    incident_type = incidents.IncidentType.objects.filter(case=None).values_list("id", flat=True).first()
    now = datetime.now(UTC)
    with transaction.atomic():
        analyst = User.objects.create_user("bench-search-analyst", password=None)
        case = Case.objects.create(reference=CASE_REFERENCE, title="Search benchmark")
        CaseMembership.objects.create(case=case, user=analyst, role=CaseRole.ANALYST)
        start_days = [FIRST_DAY + timedelta(days=rng.randrange(DAYS)) for _ in range(INCIDENTS)]
        copy_rows(
            incidents.Incident,
            [
                "id",
                "case_id",
                "reference",
                "title",
                "description",
                "start_time",
                "governorate_id",
                "locality",
                "incident_type_id",
                "created_by_id",
                "created_at",
                "updated_at",
            ],
            (
                (
                    n + 1,
                    case.pk,
                    f"INC-{n + 1:05d}",
                    f"{rng.choice(WEAPONS_EN).capitalize()} on the {rng.choice(PLACES_EN)}"
                    if n % 2
                    else f"{rng.choice(WEAPONS_AR)} على {rng.choice(PLACES_AR)}",
                    "Reported by field researchers.",
                    datetime(day.year, day.month, day.day, 10, tzinfo=UTC),
                    rng.choice(governorates),
                    f"Locality {rng.randrange(1, 400)}",
                    incident_type,
                    analyst.pk,
                    now,
                    now,
                )
                for n, day in enumerate(start_days)
            ),
        )
        copy_rows(
            incidents.Victim,
            ["incident_id", "name", "status", "sex", "age_band", "combatant_status"],
            (
                (
                    rng.randrange(1, INCIDENTS + 1),
                    f"{rng.choice(AR_FIRST)} {rng.choice(AR_FAMILY)}"
                    if n % 2
                    else f"{rng.choice(EN_FIRST)} {rng.choice(EN_FAMILY)}",
                    "killed",
                    "unknown",
                    "unknown",
                    "civilian",
                )
                for n in range(VICTIMS)
            ),
        )
        copy_rows(
            witnesses.Witness,
            ["id", "case_id", "pseudonym", "relationship", "created_by_id", "created_at"],
            ((n + 1, case.pk, f"W-{n + 1:05d}", "eyewitness", analyst.pk, now) for n in range(WITNESSES)),
        )

        def text(arabic: bool) -> str:
            sentences, places, weapons = (
                (AR_SENTENCES, PLACES_AR, WEAPONS_AR) if arabic else (EN_SENTENCES, PLACES_EN, WEAPONS_EN)
            )
            return " ".join(
                rng.choice(sentences).format(place=rng.choice(places), weapon=rng.choice(weapons))
                for _ in range(rng.randrange(3, 9))
            )

        copy_rows(
            witnesses.Testimony,
            [
                "id",
                "case_id",
                "witness_id",
                "interview_date",
                "interviewer_id",
                "method",
                "language",
                "original_text",
                "created_by_id",
                "created_at",
                "updated_at",
            ],
            (
                (
                    n + 1,
                    case.pk,
                    rng.randrange(1, WITNESSES + 1),
                    start_days[n % INCIDENTS] + timedelta(days=20),
                    analyst.pk,
                    "phone",
                    "ar" if n % 2 else "en",
                    text(bool(n % 2)),
                    analyst.pk,
                    now,
                    now,
                )
                for n in range(TESTIMONIES)
            ),
        )
        copy_rows(
            witnesses.Testimony.incidents.through,
            ["testimony_id", "incident_id"],
            ((n + 1, n % INCIDENTS + 1) for n in range(TESTIMONIES)),
        )
        from django.db import connection

        with connection.cursor() as cursor:
            for model in (incidents.Incident, witnesses.Witness, witnesses.Testimony):
                table = model._meta.db_table
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def index_all() -> float:
    from casework.cases.models import Case
    from casework.search import documents
    from casework.search.models import RecordKind
    from casework.search.services import search_index_queryset

    case = Case.objects.get(reference=CASE_REFERENCE)
    started = time.perf_counter()
    for kind in RecordKind.values:
        model, _ = documents.BUILDERS[kind]
        records = (
            model.objects.filter(incident__case=case) if kind == RecordKind.VICTIM else model.objects.filter(case=case)
        )
        count = search_index_queryset(kind=kind, queryset=records)
        print(f"  indexed {count:,} {kind} records")
    return time.perf_counter() - started


def run_query(case, user, filters):
    from casework.search.selectors import search_entries, search_hits

    results = search_entries(case=case, user=user, filters=filters)
    page = results.page(1, 20)
    hits = search_hits(case=case, entries=page.object_list, filters=filters)
    return results.count, hits


def explain(case, user, filters) -> tuple[str, list[str]]:
    from django.db import connection

    from casework.search.selectors import search_rows_query

    sql, params = search_rows_query(case=case, user=user, filters=filters).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING ON) " + sql, params)
        lines = [row[0] for row in cursor.fetchall()]
    indexes = sorted(
        {
            word
            for line in lines
            for word in line.replace("(", " ").split()
            if word.endswith(("_gin", "_trgm", "_idx", "_pkey")) or "search_entry" in word
        }
    )
    return "\n".join(lines), indexes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=60, help="timed runs per query type")
    parser.add_argument("--reseed", action="store_true", help="drop the database and seed it again")
    parser.add_argument("--plans", action="store_true", help="print the whole EXPLAIN ANALYZE of each query")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        sys.exit("Set DATABASE_URL to a PostgreSQL database whose name contains 'bench' (see the docstring).")
    database_name(database_url)
    database_create(database_url, drop=args.reseed)
    setup_django(Path(tempfile.mkdtemp(prefix="casework-bench-search-")))
    migrate()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from casework.cases.models import Case
    from casework.incidents.models import Governorate
    from casework.search.models import SearchEntry
    from casework.search.selectors import SearchFilters

    if not Case.objects.filter(reference=CASE_REFERENCE).exists():
        started = time.perf_counter()
        seed(random.Random(20261130))
        print(f"seeded in {time.perf_counter() - started:.1f} s; indexing as manage.py search_reindex does:")
        indexed = index_all()
        print(f"indexed in {indexed:.1f} s ({SearchEntry.objects.count() / indexed:,.0f} records/s)")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        print("reusing the seeded data (--reseed to start over)")
    case = Case.objects.get(reference=CASE_REFERENCE)
    user = get_user_model().objects.get(username="bench-search-analyst")
    counts = dict(
        SearchEntry.objects.filter(case=case).values_list("kind").annotate(n=__import__("django").db.models.Count("id"))
    )
    print("index rows: " + ", ".join(f"{kind} {n:,}" for kind, n in sorted(counts.items())))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('search_searchentry'))")
        print(f"index table with its indexes: {cursor.fetchone()[0]}")

    rng = random.Random(7)
    governorate = Governorate.objects.get(code="idlib", case=None)
    print(f"\n{'query':48} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'hits':>8}  goal p95 < {GOAL_P95_MS} ms")
    plans = []
    for label, texts, options in QUERIES:

        def filters_for(text, options=options):
            if options.get("dated"):
                start = FIRST_DAY + timedelta(days=rng.randrange(DAYS - 365))
                return SearchFilters(
                    q=text, date_from=start, date_to=start + timedelta(days=365), governorate=governorate
                )
            return SearchFilters(q=text, **options)

        for text in texts:  # warm-up
            run_query(case, user, filters_for(text))
        timings, hits = [], []
        for _ in range(args.runs):
            filters = filters_for(rng.choice(texts))
            started = time.perf_counter()
            count, _page = run_query(case, user, filters)
            timings.append((time.perf_counter() - started) * 1000)
            hits.append(count)
        timings.sort()
        p50 = statistics.median(timings)
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        mark = "ok" if p95 < GOAL_P95_MS else "MISSED"
        print(f"{label:48} {p50:8.1f} {p95:8.1f} {timings[-1]:8.1f} {int(statistics.median(hits)):8,}  {mark}")
        plans.append((label, explain(case, user, filters_for(texts[0]))))
    print("\nindexes in each page query's plan (EXPLAIN ANALYZE):")
    for label, (plan, indexes) in plans:
        print(f"  {label}: {', '.join(indexes) or 'none'}")
        if args.plans:
            print("    " + plan.replace("\n", "\n    "))
    print(f"\nload average: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
