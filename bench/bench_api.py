"""API latency on a large, realistic data set in PostgreSQL: the filtered victim and testimony lists and the
statistics endpoint, as an analyst on the cases (so the permission queries run too).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cwbench_api .venv/bin/python bench/bench_api.py

The first run creates the database (its name must contain "bench": it may be dropped), migrates it and
seeds 3 cases, 20,000 incidents, 200,000 victims, 20,000 witnesses and 100,000 testimonies; later runs
reuse the data and only measure. --reseed starts over. Each endpoint gets a few warm-up requests, then
--requests timed ones through Django's test client in this process; an endpoint that does not answer 200
is reported and skipped. An endpoint that misses its goal gets EXPLAIN ANALYZE of its slowest query
(--explain: every endpoint). --unanalysed seeds again and measures before any ANALYZE, as right after a bulk
import on a server with autovacuum off; the next run without it analyses the tables first.
"""

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent

INCIDENTS = 20_000
VICTIMS = 200_000
WITNESSES = 20_000
TESTIMONIES = 100_000
# Reference, title, share of the records. The analyst is an analyst on the first two and intake on the
# third, which they can open but which the statistics must leave out.
CASES = [
    ("CW-BENCH-A", "Aerial bombardment of the north-west", 0.85),
    ("CW-BENCH-B", "Siege of the southern districts", 0.12),
    ("CW-BENCH-C", "Detentions in the east", 0.03),
]
ANALYST = "bench-analyst"
# A fixed key, so that a later run can still read what an earlier one encrypted; only this database uses it.
BENCH_FIELD_KEY = "YmVuY2gtYXBpLWZpZWxkLWtleS1ub3Qtc2VjcmV0LTA="
FIRST_DAY = date(2022, 1, 1)
DAYS = (date(2024, 12, 31) - FIRST_DAY).days + 1


def database_name(database_url: str) -> str:
    parts = urlsplit(database_url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit(f"DATABASE_URL must point at PostgreSQL (postgres://...), not {parts.scheme or database_url!r}.")
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"Refusing to seed database {name!r}: its name must contain 'bench' (it may be dropped).")
    return name


def database_create(database_url: str, *, drop: bool) -> None:
    """Create the benchmark database if missing (after dropping it if `drop`), through the postgres database."""
    import psycopg
    from psycopg import sql

    name = database_name(database_url)
    admin_url = urlunsplit(urlsplit(database_url)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and drop:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        if drop or not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(workdir: Path) -> None:
    """Like _django.setup_django, but on the PostgreSQL database named by DATABASE_URL."""
    sys.path.insert(0, str(ROOT))
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ.pop("FILE_UPLOAD_TEMP_DIR", None)
    os.environ["FIELD_ENCRYPTION_KEYS"] = BENCH_FIELD_KEY
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casework.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def copy_rows(model, field_names: Sequence[str], rows: Iterable[Sequence]) -> int:
    """COPY rows into the model's table. Fields not named get their default (or NULL); an auto id is left to
    its sequence. Bypasses save() and signals, so no history rows are written."""
    from django.db import connection, models

    meta = model._meta
    named = [meta.get_field(name) for name in field_names]
    rest = []
    for field in meta.concrete_fields:
        if field in named or isinstance(field, models.AutoField):
            continue
        if field.has_default():
            rest.append((field, field.get_default()))
        elif field.null:
            rest.append((field, None))
        elif field.blank and field.empty_strings_allowed:
            rest.append((field, ""))
        else:
            raise ValueError(f"{meta.label}.{field.name} needs a value")
    columns = ", ".join(connection.ops.quote_name(field.column) for field in named + [f for f, _ in rest])
    # Defaults as the field stores them (JSON as JSON, an encrypted field's default encrypted).
    extra = tuple(field.get_db_prep_save(value, connection) for field, value in rest)
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {meta.db_table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(tuple(row) + extra)
            count += 1
    return count


def weighted(rng: random.Random, pairs: Sequence[tuple[object, float]], k: int) -> list:
    return rng.choices([value for value, _ in pairs], weights=[weight for _, weight in pairs], k=k)


def timestamp(day: date, rng: random.Random) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=rng.randrange(86_400))


NAMES = ["Ahmad", "Mohammad", "Fatima", "Aisha", "Omar", "Khaled", "Huda", "Rania", "Yusuf", "Maryam", "Ali", "Sara"]
FAMILIES = ["al-Hassan", "al-Ahmad", "Khalil", "al-Omar", "Haddad", "al-Sayed", "Darwish", "al-Masri", "Yassin"]
TESTIMONY_SENTENCES = [
    "كنت في السوق عندما سمعت صوت الطائرة فوقنا ثم وقع الانفجار الأول قرب الفرن.",
    "ركضنا إلى القبو مع الأطفال وبقينا هناك حتى توقف القصف بعد نحو ساعة.",
    "رأيت سيارات الدفاع المدني تصل بعد الضربة الثانية وكان الدخان يغطي الشارع.",
    "I was at the market when I heard the aircraft overhead, then the first explosion hit near the bakery.",
    "We carried the injured to the field hospital; two of them were children from the next building.",
    "The second strike came about ten minutes later, when people had gathered to help.",
    "My neighbour's house collapsed completely and we searched the rubble until night.",
    "لم يكن في المنطقة أي موقع عسكري، كانت مدرسة ومسجد وبيوت فقط.",
]


def seed(rng: random.Random) -> None:
    """Users, memberships, cases and every record, with realistic mixes; tolls computed by one UPDATE."""
    from django.contrib.auth import get_user_model
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from casework.cases.models import Case, CaseMembership, CaseRole
    from casework.incidents import models as incidents
    from casework.witnesses import models as witnesses
    from casework.witnesses.crypto import encrypt_text

    User = get_user_model()
    governorates = list(incidents.Governorate.objects.filter(case=None).values_list("id", "code"))
    # Most recorded incidents are in the north-west.
    heavy = {"idlib": 30, "aleppo": 18, "rural-damascus": 10, "hama": 8, "deir-ez-zor": 6, "daraa": 6}
    governorate_weights = [(pk, heavy.get(code, 2)) for pk, code in governorates]
    incident_types = list(incidents.IncidentType.objects.filter(case=None).values_list("id", flat=True))
    weapon_types = list(incidents.WeaponType.objects.filter(case=None).values_list("id", flat=True))
    facility_types = list(incidents.FacilityType.objects.filter(case=None).values_list("id", flat=True))
    occupations = list(incidents.Occupation.objects.filter(case=None).values_list("id", flat=True))
    parties = list(incidents.Party.objects.filter(case=None).values_list("id", flat=True))
    now = datetime.now(UTC)

    with transaction.atomic():
        analyst = User.objects.create_user(ANALYST, password=None)
        intakes = [User.objects.create_user(f"bench-intake-{n}", password=None) for n in range(1, 6)]
        reviewers = [User.objects.create_user(f"bench-reviewer-{n}", password=None) for n in range(1, 4)]
        cases = []
        for index, (reference, title, share) in enumerate(CASES):
            case = Case.objects.create(reference=reference, title=title)
            cases.append((case, share))
            role = CaseRole.ANALYST if index < 2 else CaseRole.INTAKE
            CaseMembership.objects.create(case=case, user=analyst, role=role)
            CaseMembership.objects.bulk_create(
                [CaseMembership(case=case, user=user, role=CaseRole.INTAKE) for user in intakes]
                + [CaseMembership(case=case, user=user, role=CaseRole.REVIEWER) for user in reviewers]
            )
        intake_ids = [user.pk for user in intakes]
        reviewer_ids = [user.pk for user in reviewers]

        # Incidents: over three years, most in a few governorates, sometimes with coordinates.
        incident_case = weighted(rng, [(case.pk, share) for case, share in cases], INCIDENTS)
        incident_governorate = weighted(rng, governorate_weights, INCIDENTS)
        incident_day: list[date] = []
        incident_rows = []
        per_case_number: dict[int, int] = {}
        for incident_id in range(1, INCIDENTS + 1):
            case_id = incident_case[incident_id - 1]
            per_case_number[case_id] = number = per_case_number.get(case_id, 0) + 1
            day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
            incident_day.append(day)
            start = timestamp(day, rng)
            located = rng.random() < 0.7
            incident_rows.append(
                (
                    incident_id,
                    case_id,
                    f"INC-{number:05d}",
                    f"Strike on {rng.choice(['market', 'school', 'bakery', 'residential block', 'hospital'])}",
                    "Reported by field researchers; see the testimonies and media.",
                    start,
                    start + timedelta(minutes=rng.randrange(5, 240)) if rng.random() < 0.3 else None,
                    weighted(rng, [("exact", 75), ("estimate", 15), ("unknown_day", 8), ("unknown_month_day", 2)], 1)[
                        0
                    ],
                    incident_governorate[incident_id - 1],
                    f"District {rng.randrange(1, 9)}",
                    f"Locality {rng.randrange(1, 400)}",
                    round(rng.uniform(32.3, 37.3), 6) if located else None,
                    round(rng.uniform(35.7, 42.4), 6) if located else None,
                    rng.choice(incident_types),
                    rng.choice(intake_ids),
                    start + timedelta(days=rng.randrange(1, 60)),
                    now,
                )
            )
        copy_rows(
            incidents.Incident,
            [
                "id",
                "case_id",
                "reference",
                "title",
                "description",
                "start_time",
                "end_time",
                "date_precision",
                "governorate_id",
                "district",
                "locality",
                "latitude",
                "longitude",
                "incident_type_id",
                "created_by_id",
                "created_at",
                "updated_at",
            ],
            incident_rows,
        )
        del incident_rows
        incident_ids = range(1, INCIDENTS + 1)
        copy_rows(
            incidents.Incident.weapons.through,
            ["incident_id", "weapontype_id"],
            (
                (incident_id, weapon)
                for incident_id in incident_ids
                for weapon in rng.sample(weapon_types, weighted(rng, [(0, 10), (1, 65), (2, 25)], 1)[0])
            ),
        )
        copy_rows(
            incidents.Incident.facilities_hit.through,
            ["incident_id", "facilitytype_id"],
            (
                (incident_id, facility)
                for incident_id in incident_ids
                for facility in rng.sample(facility_types, weighted(rng, [(0, 55), (1, 38), (2, 7)], 1)[0])
            ),
        )
        confidences = [("confirmed", 40), ("likely", 30), ("possible", 15), ("unlikely", 5), ("unknown", 10)]
        copy_rows(
            incidents.Attribution,
            ["incident_id", "party_id", "confidence", "basis"],
            (
                (incident_id, party, weighted(rng, confidences, 1)[0], "Aircraft tracked by observers; remnants.")
                for incident_id in incident_ids
                for party in rng.sample(parties, 1 if rng.random() < 0.75 else 2)
            ),
        )

        # Victims: a long tail per incident (most have a few, a few are massacres), each person consistent
        # with the age/band constraint; about 1% are a second record of someone already listed.
        incident_weight = [rng.lognormvariate(0, 1.3) for _ in incident_ids]
        victim_incident = sorted(rng.choices(incident_ids, weights=incident_weight, k=VICTIMS))
        victim_status = weighted(rng, [("killed", 55), ("injured", 33), ("missing", 8), ("detained", 4)], VICTIMS)
        victim_sex = weighted(rng, [("male", 56), ("female", 34), ("unknown", 10)], VICTIMS)
        victim_combatant = weighted(rng, [("civilian", 82), ("non_civilian", 11), ("unknown", 7)], VICTIMS)
        victim_rows = []
        previous_in_incident: tuple[int, int] = (0, 0)
        for index in range(VICTIMS):
            victim_id = index + 1
            incident_id = victim_incident[index]
            if rng.random() < 0.7:
                age = rng.randrange(0, 18) if rng.random() < 0.28 else rng.randrange(18, 90)
                band = ("child" if age < 18 else "adult") if rng.random() < 0.9 else "unknown"
            else:
                age = None
                band = weighted(rng, [("child", 15), ("adult", 50), ("unknown", 35)], 1)[0]
            duplicate_of = None
            if previous_in_incident[0] == incident_id and rng.random() < 0.01:
                duplicate_of = previous_in_incident[1]
            else:
                previous_in_incident = (incident_id, victim_id)
            named = rng.random() < 0.6
            victim_rows.append(
                (
                    victim_id,
                    incident_id,
                    f"{rng.choice(NAMES)} {rng.choice(FAMILIES)}" if named else "",
                    victim_sex[index],
                    age,
                    band,
                    victim_combatant[index],
                    victim_status[index],
                    rng.choice(occupations) if rng.random() < 0.3 else None,
                    duplicate_of,
                )
            )
        copy_rows(
            incidents.Victim,
            [
                "id",
                "incident_id",
                "name",
                "sex",
                "age",
                "age_band",
                "combatant_status",
                "status",
                "occupation_id",
                "duplicate_of_id",
            ],
            victim_rows,
        )
        del victim_rows, victim_incident, victim_status, victim_sex, victim_combatant

        # Witnesses, spread over the cases like the incidents; the identity is encrypted as the field would.
        witness_case = weighted(rng, [(case.pk, share) for case, share in cases], WITNESSES)
        witnesses_of_case: dict[int, list[int]] = {}
        witness_rows = []
        for index in range(WITNESSES):
            witness_id = index + 1
            case_id = witness_case[index]
            witnesses_of_case.setdefault(case_id, []).append(witness_id)
            witness_rows.append(
                (
                    witness_id,
                    case_id,
                    f"W-{len(witnesses_of_case[case_id]):05d}",
                    encrypt_text(f"{rng.choice(NAMES)} {rng.choice(FAMILIES)}"),
                    encrypt_text(f"+963 9{rng.randrange(10_000_000, 99_999_999)}") if rng.random() < 0.6 else "",
                    weighted(
                        rng,
                        [
                            ("eyewitness", 40),
                            ("survivor", 20),
                            ("relative", 20),
                            ("first_responder", 8),
                            ("medic", 6),
                            ("journalist", 4),
                            ("other", 2),
                        ],
                        1,
                    )[0],
                    weighted(rng, [("low", 10), ("medium", 30), ("high", 45), ("critical", 15)], 1)[0],
                    rng.choice(["highly_reliable", "reliable", "somewhat_reliable", "unknown"]),
                    rng.choice(["involved", "related", "third_party", "unknown"]),
                    rng.choice(intake_ids),
                    now - timedelta(days=rng.randrange(1, 900)),
                )
            )
        copy_rows(
            witnesses.Witness,
            [
                "id",
                "case_id",
                "pseudonym",
                "real_name",
                "phone",
                "relationship",
                "risk_level",
                "reliability",
                "connection",
                "created_by_id",
                "created_at",
            ],
            witness_rows,
        )
        del witness_rows

        # Testimonies: one incident each, a witness of the same case, a two-person review for decided ones.
        testimony_status = weighted(
            rng, [("draft", 10), ("submitted", 20), ("verified", 60), ("rejected", 10)], TESTIMONIES
        )
        testimony_incident = [rng.randrange(1, INCIDENTS + 1) for _ in range(TESTIMONIES)]
        testimony_rows = []
        for index in range(TESTIMONIES):
            incident_id = testimony_incident[index]
            case_id = incident_case[incident_id - 1]
            interview_date = min(incident_day[incident_id - 1] + timedelta(days=rng.randrange(1, 300)), now.date())
            created_at = timestamp(interview_date, rng)
            author = rng.choice(intake_ids)
            status = testimony_status[index]
            decided = status in ("verified", "rejected")
            text = " ".join(rng.choices(TESTIMONY_SENTENCES, k=rng.randrange(3, 12)))
            testimony_rows.append(
                (
                    index + 1,
                    case_id,
                    rng.choice(witnesses_of_case[case_id]),
                    interview_date,
                    author,
                    weighted(rng, [("in_person", 50), ("phone", 15), ("messaging_app", 25), ("video_call", 10)], 1)[0],
                    "ar" if rng.random() < 0.85 else "en",
                    text,
                    status,
                    author,
                    created_at,
                    created_at,
                    rng.choice(reviewer_ids) if decided else None,
                    created_at + timedelta(days=rng.randrange(1, 30)) if decided else None,
                    "Contradicts the site survey and two other accounts." if status == "rejected" else "",
                )
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
                "status",
                "created_by_id",
                "created_at",
                "updated_at",
                "reviewed_by_id",
                "reviewed_at",
                "review_reason",
            ],
            testimony_rows,
        )
        del testimony_rows
        copy_rows(
            witnesses.Testimony.incidents.through,
            ["testimony_id", "incident_id"],
            ((index + 1, incident_id) for index, incident_id in enumerate(testimony_incident)),
        )

        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(
                no_style(), [incidents.Incident, incidents.Victim, witnesses.Witness, witnesses.Testimony]
            ):
                cursor.execute(statement)
            tolls_refresh_all(cursor, massacre_minimum=incidents.VictimQuerySet.massacre_minimum())


def tolls_refresh_all(cursor, *, massacre_minimum: int) -> None:
    """Every incident's cached tolls in one statement, built from the toll rules of VictimQuerySet (the same
    aggregates as incident_tolls, compared by tolls_check after). Incidents without victims keep theirs."""
    from django.db import connection
    from django.utils import timezone

    from casework.incidents.models import Incident, Victim, VictimQuerySet

    counts = VictimQuerySet.toll_counts()
    per_incident = Victim.objects.counted().order_by().values("incident_id").annotate(**counts)
    per_incident_sql, params = per_incident.query.get_compiler(connection=connection).as_sql()
    name = connection.ops.quote_name
    assignments = ", ".join(f"{name(key)} = t.{name(key)}" for key in counts if key != "massacre_victims")
    cursor.execute(
        f"UPDATE {name(Incident._meta.db_table)} AS i SET {assignments}, "
        f"{name('is_massacre')} = t.{name('massacre_victims')} >= %s, {name('tolls_computed_at')} = %s "
        f"FROM ({per_incident_sql}) AS t WHERE t.{name('incident_id')} = i.{name('id')}",
        [massacre_minimum, timezone.now(), *params],
    )
    Incident.objects.filter(tolls_computed_at__isnull=True).update(tolls_computed_at=timezone.now())
    occupation_tolls_refresh_all(cursor)
    # The monthly rollups of the statistics, recounted from the incidents as the services write them.
    from casework.incidents.services import rollups_rebuild

    rollups_rebuild()


def occupation_tolls_refresh_all(cursor) -> None:
    """Every incident's civilians killed by occupation (IncidentOccupationToll) in one statement, from the
    same rule as incident_occupation_tolls."""
    from django.db import connection

    from casework.incidents.models import IncidentOccupationToll, Victim, VictimQuerySet

    rows = (
        Victim.objects.counted()
        .filter(VictimQuerySet.killed_civilian_q())
        .order_by()
        .values("incident_id", "occupation_id")
        .annotate(**VictimQuerySet.occupation_toll_counts())
        .values_list("incident_id", "occupation_id", *VictimQuerySet.occupation_toll_counts())
    )
    rows_sql, params = rows.query.get_compiler(connection=connection).as_sql()
    name = connection.ops.quote_name
    column_names = ("incident_id", "occupation_id", *VictimQuerySet.occupation_toll_counts())
    columns = ", ".join(name(column) for column in column_names)
    table = name(IncidentOccupationToll._meta.db_table)
    cursor.execute(f"DELETE FROM {table}")
    cursor.execute(f"INSERT INTO {table} ({columns}) {rows_sql}", params)


def tolls_check(rng: random.Random, samples: int = 200) -> None:
    """The one-statement tolls must equal what the service computes, on a sample of incidents."""
    from casework.incidents.models import Incident
    from casework.incidents.services import incident_tolls

    fields = ["civilians_killed", "children_killed", "adult_women_killed", "injured", "is_massacre"]
    ids = list(Incident.objects.order_by("-civilians_killed").values_list("id", flat=True)[:10])
    ids += rng.sample(range(1, INCIDENTS + 1), samples)
    stored = {row["id"]: row for row in Incident.objects.filter(id__in=ids).values("id", *fields)}
    for incident_id in ids:
        expected = incident_tolls(incident_id=incident_id)
        got = {field: stored[incident_id][field] for field in fields}
        if got != {field: expected[field] for field in fields}:
            sys.exit(f"Cached tolls of incident {incident_id} are {got}, the service computes {expected}.")


UNANALYSED_TABLES = ("incidents_incident", "incidents_victim", "incidents_attribution")


def switch_autovacuum(*, enabled: bool) -> None:
    """Autovacuum on or off for the incident tables (off: they stay without planner statistics)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in UNANALYSED_TABLES:
            if enabled:
                cursor.execute(f"ALTER TABLE {table} RESET (autovacuum_enabled)")
            else:
                cursor.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")


def tables_analysed() -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_user_tables WHERE relname = ANY(%s) "
            "AND last_analyze IS NULL AND last_autoanalyze IS NULL",
            [list(UNANALYSED_TABLES)],
        )
        return cursor.fetchone()[0] == 0


def analyse(*, autovacuum: bool) -> None:
    from django.db import connection

    if autovacuum:
        switch_autovacuum(enabled=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def data_state() -> str:
    """'complete' if this database holds the seeded data set, 'empty' if nothing was seeded, else 'partial'."""
    from casework.cases.models import Case
    from casework.incidents.models import Incident, Victim
    from casework.witnesses.models import Testimony, Witness

    counts = (
        Case.objects.filter(reference__in=[reference for reference, _, _ in CASES]).count(),
        Incident.objects.count(),
        Victim.objects.count(),
        Witness.objects.count(),
        Testimony.objects.count(),
    )
    if counts == (len(CASES), INCIDENTS, VICTIMS, WITNESSES, TESTIMONIES):
        return "complete"
    return "empty" if not any(counts) else "partial"


def print_counts() -> None:
    from django.db.models import Count

    from casework.cases.models import Case
    from casework.incidents.models import Attribution, Incident, Victim
    from casework.witnesses.models import Testimony, Witness

    def by(model, field: str) -> str:
        rows = model.objects.order_by().values(field).annotate(n=Count("id")).order_by("-n")
        return ", ".join(f"{row[field]} {row['n']:,}" for row in rows)

    print("rows:")
    print(f"  cases          {Case.objects.count():>9,}  ({by(Incident, 'case__reference')} incidents)")
    massacres = Incident.objects.filter(is_massacre=True).count()
    print(f"  incidents      {Incident.objects.count():>9,}  (massacres {massacres:,})")
    print(f"  attributions   {Attribution.objects.count():>9,}")
    print(
        f"  victims        {Victim.objects.count():>9,}  ({by(Victim, 'status')}; duplicates "
        f"{Victim.objects.filter(duplicate_of__isnull=False).count():,})"
    )
    print(f"  witnesses      {Witness.objects.count():>9,}")
    print(f"  testimonies    {Testimony.objects.count():>9,}  ({by(Testimony, 'status')})")
    print(f"  testimony-incident links {Testimony.incidents.through.objects.count():,}")


@dataclass
class Endpoint:
    label: str
    url: str
    goal_ms: float
    follow: int = 0  # follow `next` this many times from `url` first: page follow + 1
    legacy: bool = False  # through the former page-number pagination (OFFSET and a capped count): a baseline
    token: bool = False  # as an API client: an API token instead of the signed-in session


@contextmanager
def legacy_pagination():
    """The lists paged as before (bench/_legacy.py), to measure the baseline in the same run."""
    from bench._legacy import LegacyPagination
    from casework.incidents.api import VictimViewSet
    from casework.witnesses.api import TestimonyViewSet

    saved = {view: view.pagination_class for view in (VictimViewSet, TestimonyViewSet)}
    for view in saved:
        view.pagination_class = LegacyPagination
    try:
        yield
    finally:
        for view, pagination in saved.items():
            view.pagination_class = pagination


def api_token(user) -> str:
    """A new API token of `user` (the bench's earlier ones removed), as a client sends it."""
    from knox.settings import knox_settings

    from casework.web.models import ApiToken

    ApiToken.objects.filter(user=user, name="bench_api").delete()
    _token, text = ApiToken.objects.create(user=user, expiry=knox_settings.TOKEN_TTL, name="bench_api")
    return text


def endpoints() -> list[Endpoint]:
    big = CASES[0][0]
    victims = f"/api/cases/{big}/victims/?status=killed&governorate=idlib&page_size=50"
    every_victim = f"/api/cases/{big}/victims/?page_size=50"
    testimonies = f"/api/cases/{big}/testimonies/?status=verified&page_size=50"
    stats_filter = "governorate=idlib&date_from=2024-01-01&date_to=2024-12-31"
    return [
        Endpoint("victims killed in idlib, page 1", victims, 50),
        Endpoint("  baseline: page 1 with page numbers (capped count, OFFSET)", f"{victims}&page=1", 50, legacy=True),
        Endpoint("victims killed in idlib, page 200 (cursor)", victims, 50, follow=199),
        Endpoint("  baseline: page 200 with page numbers", f"{victims}&page=200", 50, legacy=True),
        Endpoint("every victim of the case, page 200 (cursor)", every_victim, 50, follow=199),
        Endpoint("  baseline: page 200 with page numbers", f"{every_victim}&page=200", 50, legacy=True),
        Endpoint("victims killed in idlib, by -age", f"{victims}&ordering=-age", 50),
        Endpoint("victims killed in idlib, by -age, page 200", f"{victims}&ordering=-age", 50, follow=199),
        Endpoint(
            "  baseline: by -age, page 200 with page numbers", f"{victims}&ordering=-age&page=200", 50, legacy=True
        ),
        Endpoint("testimonies verified, page 1", testimonies, 50),
        Endpoint("  baseline: page 1 with page numbers", f"{testimonies}&page=1", 50, legacy=True),
        Endpoint("  with an API token instead of a session", testimonies, 50, token=True),
        Endpoint("testimonies verified, page 200 (cursor)", testimonies, 50, follow=199),
        Endpoint("  baseline: page 200 with page numbers", f"{testimonies}&page=200", 50, legacy=True),
        Endpoint("statistics, every visible case", "/api/statistics/", 300),
        Endpoint("statistics, idlib in 2024", f"/api/statistics/?{stats_filter}", 300),
    ]


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    rank = max(1, round(fraction * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def describe_body(response) -> str:
    """What came back, to see at a glance that the filter matched something."""
    try:
        body = response.json()
    except ValueError:
        return f"{len(response.content):,} bytes, not JSON"
    if isinstance(body, dict) and "results" in body:
        results = body["results"]
        note = f"count {body.get('count', '?'):,}" if isinstance(body.get("count"), int) else "no count"
        note += f", {len(results)} on the page"
        ages = [row.get("age") for row in results if isinstance(row, dict)]
        if "ordering=-age" in response.request["QUERY_STRING"] and ages:
            known = [age for age in ages if age is not None]
            descending = known == sorted(known, reverse=True)
            note += ", known ages descending" if descending else ", ages NOT descending (ordering ignored?)"
            if ages[0] is None:
                note += f"; {ages.count(None)} of {len(ages)} without an age, which sort first"
        return note
    if isinstance(body, dict):
        note = f"{len(response.content):,} bytes; keys: {', '.join(list(body)[:8])}"
        if isinstance(body.get("cases"), list):
            note += f"; cases counted: {', '.join(map(str, body['cases']))}"
        return note
    return f"{len(response.content):,} bytes"


def explain(sql: str) -> None:
    from django.db import connection

    print("    EXPLAIN (ANALYZE, BUFFERS) of its slowest query:")
    print("      " + sql[:600] + (" ..." if len(sql) > 600 else ""))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        for (line,) in cursor.fetchall():
            print("      " + line)


def database_ms(queries: list[dict]) -> float:
    """Planning + execution time the database reports for the captured request's queries (run once more under
    EXPLAIN ANALYZE): its own work, without the round trips or any wait for a CPU."""
    from django.db import connection

    total = 0.0
    with connection.cursor() as cursor:
        for query in queries:
            if not query["sql"].lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query["sql"])
            plan = cursor.fetchone()[0]
            plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
            total += plan.get("Planning Time", 0.0) + plan.get("Execution Time", 0.0)
    return total


def measure(client, endpoint: Endpoint, *, requests: int, warmup: int, always_explain: bool) -> None:
    if endpoint.legacy:
        with legacy_pagination():
            return _measure(client, endpoint, requests=requests, warmup=warmup, always_explain=always_explain)
    if endpoint.follow:
        url = endpoint.url
        for _ in range(endpoint.follow):
            url = client.get(url).json()["next"]
            if url is None:
                print(f"\n{endpoint.label}\n  SKIPPED: fewer than {endpoint.follow + 1} pages")
                return None
        endpoint = Endpoint(endpoint.label, url.removeprefix("http://localhost"), endpoint.goal_ms)
    return _measure(client, endpoint, requests=requests, warmup=warmup, always_explain=always_explain)


def _measure(client, endpoint: Endpoint, *, requests: int, warmup: int, always_explain: bool) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    print(f"\n{endpoint.label}\n  GET {endpoint.url}")
    response = client.get(endpoint.url)
    if response.status_code != 200:
        reason = ""
        if getattr(response, "exc_info", None):
            reason = f": {response.exc_info[0].__name__}: {response.exc_info[1]}"
        elif response.content:
            reason = ": " + response.content[:200].decode(errors="replace").replace("\n", " ")
        print(f"  SKIPPED: answered {response.status_code}{reason}")
        return
    print(f"  {describe_body(response)}")
    for _ in range(warmup):
        client.get(endpoint.url)
    with CaptureQueriesContext(connection) as captured:
        client.get(endpoint.url)
    # A copy now: captured_queries reads the connection's log, which the next request clears.
    queries = list(captured.captured_queries)
    timings = []
    sql_seconds = 0.0

    def sql_timed(execute, sql, params, many, context):
        nonlocal sql_seconds
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_seconds += time.perf_counter() - started

    cpu_started = time.process_time()
    with connection.execute_wrapper(sql_timed):
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(endpoint.url)
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                print(f"  FAILED: a timed request answered {response.status_code}")
                return
    # This process's CPU (Django, DRF, the driver), apart from the database and from waiting for a CPU.
    cpu_ms = (time.process_time() - cpu_started) * 1000 / requests
    # The queries' time as Python sees it (sending, the database's work, the rows coming back, and any wait for
    # a CPU on a busy machine), per request over the timed ones.
    sql_ms = sql_seconds * 1000 / requests
    timings.sort()
    p50, p95 = percentile(timings, 0.50), percentile(timings, 0.95)
    verdict = "met" if p95 < endpoint.goal_ms else "MISSED"
    print(
        f"  n {len(timings)}  p50 {p50:.1f} ms  p95 {p95:.1f} ms  min {timings[0]:.1f} ms  max {timings[-1]:.1f} ms"
        f"  queries/request {len(queries)}  goal p95 < {endpoint.goal_ms:.0f} ms: {verdict}"
    )
    ratio = cpu_ms / max(sql_ms, 0.01)
    print(f"  Python CPU {cpu_ms:.1f} ms/request, SQL {sql_ms:.1f} ms/request (Python/SQL {ratio:.1f}x)", end="")
    print(f"; the database's own time {database_ms(queries):.2f} ms (EXPLAIN ANALYZE of the captured request)")
    slowest = max(queries, key=lambda query: float(query["time"]), default=None)
    if slowest is None:
        return
    if always_explain:
        for query in queries:
            print(f"    {float(query['time']) * 1000:6.1f} ms  {query['sql'][:110]}")
    if (verdict == "MISSED" or always_explain) and slowest["sql"].lstrip().upper().startswith("SELECT"):
        explain(slowest["sql"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per endpoint")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per endpoint first")
    parser.add_argument("--reseed", action="store_true", help="drop the database and seed it again")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE every endpoint's slowest query")
    parser.add_argument(
        "--unanalysed",
        action="store_true",
        help="seed again and measure before any ANALYZE, as right after a bulk import with autovacuum off",
    )
    args = parser.parse_args()

    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL database for this benchmark, e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/cwbench_api .venv/bin/python bench/bench_api.py"
        )
    database_name(database_url)
    database_create(database_url, drop=args.reseed or args.unanalysed)
    import tempfile

    setup_django(Path(tempfile.mkdtemp(prefix="casework-bench-api-")))
    from django.db import connection

    migrate()
    rng = random.Random(20240601)
    state = data_state()
    if state == "complete":
        print("reusing the seeded data (--reseed to start over)")
        if not tables_analysed():
            # Left by an --unanalysed run: measured as usual from here on.
            analyse(autovacuum=True)
    else:
        if state == "partial":
            print("the database holds a different or partial data set: dropping it and seeding again")
            connection.close()
            database_create(database_url, drop=True)
            migrate()
        if args.unanalysed:
            switch_autovacuum(enabled=False)
        started = time.perf_counter()
        seed(rng)
        seeded = time.perf_counter() - started
        if args.unanalysed:
            print(f"seeded in {seeded:.1f} s; not analysed (autovacuum off for these tables), as after a bulk import")
        else:
            analyse(autovacuum=False)
            print(f"seeded in {seeded:.1f} s (VACUUM ANALYZE {time.perf_counter() - started - seeded:.1f} s more)")
        tolls_check(rng)
    print_counts()

    from django.contrib.auth import get_user_model
    from django.test import Client

    analyst = get_user_model().objects.get(username=ANALYST)
    # SERVER_NAME: the test client's default "testserver" is not in ALLOWED_HOSTS outside the test runner.
    client = Client(raise_request_exception=False, SERVER_NAME="localhost", HTTP_ACCEPT="application/json")
    client.force_login(analyst)
    token_client = Client(
        raise_request_exception=False,
        SERVER_NAME="localhost",
        HTTP_ACCEPT="application/json",
        HTTP_AUTHORIZATION=f"Token {api_token(analyst)}",
    )
    print(
        f"\nas {ANALYST} (analyst on {CASES[0][0]} and {CASES[1][0]}, intake on {CASES[2][0]}); "
        f"{args.requests} timed requests after {args.warmup} warm-up ones"
    )
    for endpoint in endpoints():
        chosen = token_client if endpoint.token else client
        measure(chosen, endpoint, requests=args.requests, warmup=args.warmup, always_explain=args.explain)
    # Other processes on the machine show up in the figures; this says how busy it was.
    print(f"\nload average (1, 5, 15 min) at the end: {', '.join(f'{load:.2f}' for load in os.getloadavg())}")


if __name__ == "__main__":
    main()
