"""Staff pages of one big case on PostgreSQL: p50/p95 time, bytes and queries per page.

Seeds (once; `--reseed` to start again) a case with 20,000 incidents, 200,000 victims, 50,000 media items
(each linked to an incident), 2,000 witnesses and 5,000 testimonies, with set-based SQL
(INSERT ... SELECT generate_series), then analyses the tables and requests each page as the case's admin (the
role that sees every form on a page) through Django's test client: no network, the whole request/response
cycle with middleware, templates and queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cwbench_pickers .venv/bin/python bench/bench_pages.py \
        [--requests 30] [--reseed]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import bench_api  # noqa: E402  (the database guard, creation and Django setup on PostgreSQL)

CASE_REFERENCE = "CW-PAGES"
INCIDENTS, VICTIMS, MEDIA, WITNESSES, TESTIMONIES = 20_000, 200_000, 50_000, 2_000, 5_000
GOAL_P95_MS = 300
# Measured in issue 16 on the same case shape (17,000 incidents), before the pickers: every incident of the case
# in a <select> or a column of checkboxes.
BASELINE = {
    "media list": "8 s, 2.8 MB",
    "media detail": "2.9 s",
    "new testimony form": "9.5–11.7 s",
}


def insert_series(model, count: int, expressions: dict[str, str], params: dict | None = None) -> None:
    """INSERT count rows of the model from generate_series(1, count) AS n: the named columns from SQL
    expressions in n, every other column its field's default (or NULL / empty text). No save(), no signals."""
    from django.db import connection, models

    meta = model._meta
    columns, values, arguments = [], [], []
    for field in meta.concrete_fields:
        if isinstance(field, models.AutoField):
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.name in expressions:
            expression = expressions[field.name]
            for key, value in (params or {}).items():
                expression = expression.replace(f"%({key})s", str(value))
            values.append(expression.replace("%", "%%"))
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values.append("now()")
            continue
        if field.has_default():
            default = field.get_default()
        elif field.null:
            default = None
        elif field.blank and field.empty_strings_allowed:
            default = ""
        else:
            raise ValueError(f"{meta.label}.{field.name} needs a value")
        values.append("%s")
        arguments.append(field.get_db_prep_save(default, connection))
    sql = (
        f"INSERT INTO {meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM generate_series(1, {count}) AS n"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, arguments)


def seed() -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from casework.cases.models import Case, CaseMembership
    from casework.evidence.models import MediaItem
    from casework.incidents.models import Governorate, Incident, IncidentType, Victim
    from casework.witnesses.models import Testimony, Witness
    from tests.factories import TEST_PASSWORD

    User = get_user_model()
    with transaction.atomic():
        admin = User.objects.create_user("bench-pages-admin", password=TEST_PASSWORD)
        case = Case.objects.create(reference=CASE_REFERENCE, title="Pages benchmark case")
        CaseMembership.objects.create(case=case, user=admin, role="case_admin")
        governorate = Governorate.objects.filter(case=None).first()
        incident_type = IncidentType.objects.filter(case=None).first()
        ids = {"case": case.pk, "admin": admin.pk, "gov": governorate.pk, "type": incident_type.pk}
        started = time.perf_counter()
        insert_series(
            Incident,
            INCIDENTS,
            {
                "case": "%(case)s",
                "reference": "'INC-' || lpad(n::text, 6, '0')",
                "title": "(ARRAY['Airstrike on the market','Shelling of the school','Barrel bomb on the bakery',"
                "'Strike near the hospital'])[1 + n % 4] || ', ' || n",
                "locality": "(ARRAY['Ariha','Saraqib','Kafr Nabl','Maarat al-Numan','Khan Shaykhun'])[1 + n % 5]",
                "start_time": "TIMESTAMPTZ '2017-01-01' + n * INTERVAL '37 minutes'",
                "governorate": "%(gov)s",
                "incident_type": "%(type)s",
            },
            ids,
        )
        first_incident = Incident.objects.filter(case=case).order_by("pk").values_list("pk", flat=True).first()
        ids["first_incident"] = first_incident
        insert_series(
            Victim,
            VICTIMS,
            {
                "incident": f"%(first_incident)s + (n % {INCIDENTS})",
                "name": "(ARRAY['Ahmad','Fatima','Omar','Huda','Khaled','Rania'])[1 + n % 6] || ' ' || n",
                "sex": "(ARRAY['male','female'])[1 + n % 2]",
                "age": "n % 80",
                "age_band": "CASE WHEN n % 80 < 18 THEN 'child' ELSE 'adult' END",
                "status": "(ARRAY['killed','injured','missing'])[1 + n % 3]",
            },
            ids,
        )
        witness_columns = {
            "case": "%(case)s",
            "pseudonym": "'W-' || lpad(n::text, 5, '0')",
            "relationship": "'eyewitness'",
        }
        insert_series(Witness, WITNESSES, witness_columns, ids)
        ids["first_witness"] = Witness.objects.filter(case=case).order_by("pk").values_list("pk", flat=True).first()
        insert_series(
            Testimony,
            TESTIMONIES,
            {
                "case": "%(case)s",
                "witness": f"%(first_witness)s + (n % {WITNESSES})",
                "interview_date": "DATE '2018-01-01' + (n % 900)",
                "interviewer": "%(admin)s",
                "created_by": "%(admin)s",
                "method": "'in_person'",
                "language": "'ar'",
                "original_text": "'سقطت القنابل على السوق ' || n",
            },
            ids,
        )
        insert_series(
            MediaItem,
            MEDIA,
            {
                "case": "%(case)s",
                "exhibit_sequence": "n",
                "exhibit_number": f"'{CASE_REFERENCE}-' || lpad(n::text, 6, '0')",
                "sha256": "encode(sha256(n::text::bytea), 'hex')",
                "size_bytes": "1000 + n",
                "original": "'originals/bench/' || n || '.bin'",
                "mime_type": "(ARRAY['image/jpeg','video/mp4','audio/mpeg','application/pdf'])[1 + n % 4]",
                "acquired_at": "TIMESTAMPTZ '2018-01-01' + n * INTERVAL '11 minutes'",
                "kind": "(ARRAY['photo','video','audio','document'])[1 + n % 4]",
                "source": "'witness'",
                "processing_state": "'done'",
                "acquired_by": "%(admin)s",
                "description": "'Photo sent from the scene ' || n",
            },
            ids,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO witnesses_testimony_incidents (testimony_id, incident_id) "
                f"SELECT t.id, %s + (t.id %% {INCIDENTS}) FROM witnesses_testimony t WHERE t.case_id = %s",
                [first_incident, case.pk],
            )
            cursor.execute(
                "INSERT INTO evidence_mediaitem_incidents (mediaitem_id, incident_id) "
                f"SELECT m.id, %s + (m.id %% {INCIDENTS}) FROM evidence_mediaitem m WHERE m.case_id = %s",
                [first_incident, case.pk],
            )
            cursor.execute("ANALYZE")
        print(f"seeded in {time.perf_counter() - started:.1f} s")


def pages(case) -> list[tuple[str, str | None]]:
    """(name, URL) of each page; URL None where this version of the code has no such page (run against an older
    commit for a baseline, the picker searches do not exist)."""
    from django.urls import NoReverseMatch, reverse

    from casework.evidence.models import MediaItem
    from casework.incidents.models import Incident
    from casework.witnesses.models import Testimony

    def url(name: str, *args, query: str = "") -> str | None:
        try:
            return reverse(name, args=args) + query
        except NoReverseMatch:
            return None

    item = MediaItem.objects.filter(case=case).order_by("pk")[MEDIA // 2]
    incident = Incident.objects.filter(case=case).order_by("pk")[INCIDENTS // 2]
    testimony = Testimony.objects.filter(case=case).order_by("pk")[TESTIMONIES // 2]
    reference = case.reference
    return [
        ("media list", url("evidence:media_list", reference)),
        ("media detail", url("evidence:media_detail", item.pk)),
        ("new testimony form", url("witnesses:testimony_create", reference)),
        ("testimony edit form", url("witnesses:testimony_edit", reference, testimony.pk)),
        ("incident list", url("incidents:incident_list", reference)),
        ("incident detail", url("incidents:incident_detail", reference, incident.pk)),
        ("victim list", url("incidents:victim_list", reference)),
        ("testimony list", url("witnesses:testimony_list", reference)),
        ("packet request page", url("bundles:bundle_list", reference)),
        ("incident picker search", url("web:pick_incidents", reference, query="?q=bakery")),
        ("recording picker search", url("web:pick_recordings", reference, query="?q=scene+49")),
    ]


def main() -> None:
    import os

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--reseed", action="store_true")
    options = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    bench_api.database_name(database_url)
    bench_api.database_create(database_url, drop=options.reseed)
    bench_api.setup_django(Path(tempfile.mkdtemp(prefix="casework-bench-pages-")))
    bench_api.migrate()

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from casework.cases.models import Case

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    case = Case.objects.filter(reference=CASE_REFERENCE).first()
    if case is None:
        seed()
        case = Case.objects.get(reference=CASE_REFERENCE)
    client = Client()
    client.force_login(case.memberships.get(role="case_admin").user)
    print(f"case {CASE_REFERENCE}: {case.incidents.count():,} incidents, {case.media_items.count():,} media items")
    print(f"{'page':<26}{'p50 ms':>9}{'p95 ms':>9}{'bytes':>11}{'queries':>9}  goal p95 < {GOAL_P95_MS} ms; baseline")
    for name, url in pages(case):
        if url is None:
            print(f"{name:<26} no such page in this version")
            continue
        for _ in range(2):
            client.get(url)
        times = []
        for _ in range(options.requests):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        if response.status_code != 200:
            print(f"{name:<26} answered {response.status_code}, skipped")
            continue
        times.sort()
        p50 = statistics.median(times)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        verdict = "ok" if p95 < GOAL_P95_MS else "MISSES GOAL"
        print(
            f"{name:<26}{p50:>9.1f}{p95:>9.1f}{len(response.content):>11,}{len(captured.captured_queries):>9}"
            f"  {verdict}; {BASELINE.get(name, '')}"
        )
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
