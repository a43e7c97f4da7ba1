"""Record linkage quality and speed on a labelled synthetic set (issue 17).

People with known identities (families: brothers and sisters share the father's, grandfather's and family
names; common given names repeat), each reported by 1–4 sources. Each source writes the name in Arabic or
Latin letters, with its own transliteration (Mohammad / Muhammed / Mohamed), with or without "bin", the
grandfather's or the family name, عبد joined or split, the article or not; the age drifts by up to 3 years or
is missing, the date of death by up to 3 days, the sex is sometimes unknown. Candidate generation (blocking)
and scoring run on the records; every pair of records of one person is a true match.

Prints precision and recall at the default threshold (goal: precision ≥ 0.95 at recall ≥ 0.90) and at other
thresholds, the recall of blocking alone, and the time of candidate generation and scoring (wall and CPU, with
the load average: on a shared machine the wall time follows everyone's load) and the process's peak memory.

    .venv/bin/python bench/bench_linkage.py [--people 20000] [--seed 17] [--threshold 0.8]

With --database (PostgreSQL: a DATABASE_URL whose database name contains "bench"), the records are written as
victims of one case and the candidate search runs through the service that the worker task calls
(linkage_find_candidates), which reads the victims in batches and stores the candidates:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cwbench_linkage .venv/bin/python bench/bench_linkage.py \
        --database --people 80000
"""

import argparse
import datetime as dt
import os
import random
import re
import resource
import sys
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# (Arabic, Latin spellings) of common given names; a source picks one spelling.
MALE = [
    ("محمد", ["Mohammad", "Muhammad", "Mohammed", "Muhammed", "Mohamed", "Mohamad"]),
    ("أحمد", ["Ahmad", "Ahmed"]),
    ("محمود", ["Mahmoud", "Mahmud", "Mahmood"]),
    ("خالد", ["Khaled", "Khalid"]),
    ("عمر", ["Omar", "Umar"]),
    ("علي", ["Ali", "Aly"]),
    ("حسن", ["Hassan", "Hasan"]),
    ("حسين", ["Hussein", "Hussain", "Husain"]),
    ("عبد الله", ["Abdullah", "Abdallah", "Abd Allah", "Abdulla"]),
    ("عبد الرحمن", ["Abdulrahman", "Abd al-Rahman", "Abdel Rahman", "Abdurrahman"]),
    ("عبد القادر", ["Abdelkader", "Abdul Qader", "Abd al-Qadir"]),
    ("يوسف", ["Yousef", "Yusuf", "Youssef"]),
    ("إبراهيم", ["Ibrahim", "Ebrahim"]),
    ("سعيد", ["Said", "Saeed", "Sa'id"]),
    ("مصطفى", ["Mustafa", "Moustafa", "Mostafa"]),
    ("وليد", ["Walid", "Waleed"]),
    ("فادي", ["Fadi", "Fady"]),
    ("سامر", ["Samer", "Samir"]),
    ("ماهر", ["Maher", "Mahir"]),
    ("غسان", ["Ghassan", "Ghasan"]),
    ("جمال", ["Jamal", "Gamal"]),
    ("طارق", ["Tareq", "Tarek", "Tariq"]),
    ("زياد", ["Ziad", "Ziyad"]),
    ("بلال", ["Bilal", "Belal"]),
    ("حمزة", ["Hamza", "Hamzah"]),
    ("أنس", ["Anas"]),
    ("معاذ", ["Muath", "Moaz", "Muadh"]),
    ("عمار", ["Ammar", "Amar"]),
    ("ياسر", ["Yasser", "Yaser"]),
    ("نزار", ["Nizar", "Nezar"]),
]
FEMALE = [
    ("فاطمة", ["Fatima", "Fatimah", "Fatma"]),
    ("مريم", ["Maryam", "Mariam"]),
    ("هدى", ["Huda", "Houda", "Hoda"]),
    ("نور", ["Nour", "Noor"]),
    ("آمنة", ["Amina", "Aminah"]),
    ("خديجة", ["Khadija", "Khadijah"]),
    ("زينب", ["Zainab", "Zeinab"]),
    ("رنا", ["Rana"]),
    ("سعاد", ["Suad", "Souad"]),
    ("هند", ["Hind", "Hend"]),
    ("ريم", ["Reem", "Rim"]),
    ("سلمى", ["Salma", "Selma"]),
    ("ليلى", ["Layla", "Leila", "Laila"]),
    ("عائشة", ["Aisha", "Aysha", "A'isha"]),
]
FAMILY = [
    ("الحسن", ["al-Hassan", "Al Hasan", "Alhassan"]),
    ("الأحمد", ["al-Ahmad", "Al Ahmed"]),
    ("الخطيب", ["al-Khatib", "Al Khateeb", "El Khatib"]),
    ("الشامي", ["al-Shami", "Al Shamy", "Elshami"]),
    ("حداد", ["Haddad", "Hadad"]),
    ("النجار", ["al-Najjar", "Al Najar"]),
    ("المصري", ["al-Masri", "Al Masry", "El-Masri"]),
    ("العلي", ["al-Ali", "Al Ali"]),
    ("الحلبي", ["al-Halabi", "Al Halaby"]),
    ("قاسم", ["Kassem", "Qasim", "Qassem"]),
    ("درويش", ["Darwish", "Darweesh"]),
    ("الزعبي", ["al-Zoubi", "Al Zoubi", "Alzoubi"]),
    ("عثمان", ["Othman", "Osman", "Uthman"]),
    ("سليمان", ["Suleiman", "Sulaiman", "Sleiman"]),
    ("الجاسم", ["al-Jasim", "Al Jassem"]),
    ("الرفاعي", ["al-Rifai", "Al Refai"]),
    ("حمود", ["Hammoud", "Hamoud"]),
    ("العمر", ["al-Omar", "Al Umar"]),
    ("البكور", ["al-Bakour", "Al Bakkour"]),
    ("الحمصي", ["al-Homsi", "Al Homsy"]),
]
GOVERNORATES = 14
# Deaths spread over one year: 20,000 people are about 4 a day in each governorate (Syria 2013 saw more).
DAYS = 365


def _spell(rng: random.Random, entry, arabic: bool) -> str:
    if arabic:
        return entry[0]
    spelling = rng.choice(entry[1])
    if rng.random() < 0.2:
        # A spelling of the writer's own, listed nowhere: a vowel changed, a consonant doubled or undoubled.
        spelling = rng.choice(
            [
                lambda text: text.replace("e", "i", 1) if "e" in text else text.replace("a", "e", 1),
                lambda text: text.replace("ou", "u", 1) if "ou" in text else text.replace("u", "ou", 1),
                lambda text: (
                    re.sub(r"([bdfjklmnrstz])\1", r"\1", text, count=1)
                    if re.search(r"([bdfjklmnrstz])\1", text)
                    else re.sub(r"([bdfjklmnrstz])", r"\1\1", text[1:], count=1).join([text[0], ""])
                ),
            ]
        )(spelling)
    return spelling


def _noisy_arabic(rng: random.Random, text: str) -> str:
    """What Arabic writers vary: عبد joined or split, hamza on the alef or not, ta marbuta dotted or not."""
    if rng.random() < 0.5:
        text = text.replace("عبد ال", "عبدال")
    if rng.random() < 0.3:
        text = text.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا")
    if rng.random() < 0.3:
        text = text.replace("ة", "ه")
    if rng.random() < 0.3:
        text = text.replace("ى", "ي")
    return text


def people(count: int, rng: random.Random) -> list[dict]:
    """Persons in families: siblings share the father's, grandfather's and family names and usually the
    date and place (one strike), which makes them the hard non-matches."""
    persons = []
    start = dt.date(2012, 1, 1)
    while len(persons) < count:
        father, grandfather, family = rng.choice(MALE), rng.choice(MALE), rng.choice(FAMILY)
        governorate = rng.randrange(GOVERNORATES)
        day = start + dt.timedelta(days=rng.randrange(DAYS))
        named = set()
        for _sibling in range(rng.choice([1, 1, 1, 2, 2, 3, 4])):
            female = rng.random() < 0.35
            given = rng.choice(FEMALE if female else MALE)
            if given[0] in named:  # parents do not give two children one name
                continue
            named.add(given[0])
            persons.append(
                {
                    "id": len(persons),
                    "given": given,
                    "father": father,
                    "grandfather": grandfather,
                    "family": family,
                    "sex": "female" if female else "male",
                    "age": rng.choice([rng.randrange(1, 18), rng.randrange(18, 80)]),
                    "governorate": governorate,
                    "day": day,
                }
            )
            if len(persons) == count:
                break
    return persons


def reports(persons: list[dict], rng: random.Random) -> list[tuple[int, dict]]:
    """(person id, record fields) for each source's report of each person (1–4 sources)."""
    records = []
    for person in persons:
        for _source in range(rng.choice([1, 1, 2, 2, 3, 4])):
            arabic = rng.random() < 0.5
            parts = [_spell(rng, person["given"], arabic)]
            connector = rng.random() < 0.2
            # A name is a chain: the grandfather's name only after the father's.
            if rng.random() < 0.9:
                if connector:
                    parts.append("بن" if arabic else rng.choice(["bin", "ibn"]))
                parts.append(_spell(rng, person["father"], arabic))
                if rng.random() < 0.3:
                    parts.append(_spell(rng, person["grandfather"], arabic))
            if rng.random() < 0.8:
                family = _spell(rng, person["family"], arabic)
                if arabic and rng.random() < 0.3:
                    family = family.removeprefix("ال")
                parts.append(family)
            name = " ".join(parts)
            if arabic:
                name = _noisy_arabic(rng, name)
            age = person["age"] + rng.choice([0, 0, 0, 1, -1, 2, -2, 3]) if rng.random() < 0.8 else None
            records.append(
                (
                    person["id"],
                    {
                        "name": name,
                        "sex": person["sex"] if rng.random() < 0.85 else "unknown",
                        "age": max(0, age) if age is not None else None,
                        "day": person["day"] + dt.timedelta(days=rng.choice([0, 0, 0, 0, 1, -1, 2, 3])),
                        "governorate_id": person["governorate"],
                    },
                )
            )
    return records


def measure_quality(arguments) -> None:
    from casework.incidents.linkage.blocking import candidate_pairs
    from casework.incidents.linkage.scoring import PersonRecord, score_pair

    rng = random.Random(arguments.seed)
    labelled = reports(people(arguments.people, rng), rng)
    records = [PersonRecord(id=index, **fields) for index, (_person, fields) in enumerate(labelled)]
    person_of = [person for person, _fields in labelled]
    by_person = defaultdict(list)
    for index, person in enumerate(person_of):
        by_person[person].append(index)
    true_pairs = {pair for members in by_person.values() for pair in combinations(sorted(members), 2)}
    print(f"{arguments.people:,} people, {len(records):,} records, {len(true_pairs):,} true pairs")

    started, cpu_started = time.perf_counter(), time.process_time()
    by_governorate = defaultdict(list)
    for record in records:
        by_governorate[record.governorate_id].append(record)
    candidates = [pair for group in by_governorate.values() for pair in candidate_pairs(group)]
    blocked = time.perf_counter()
    scored = {pair: score_pair(records[pair[0]], records[pair[1]]).value for pair in candidates}
    finished, cpu_finished = time.perf_counter(), time.process_time()

    found = {pair for pair, value in scored.items() if value >= arguments.threshold}
    right = len(found & true_pairs)
    precision = right / len(found) if found else 1.0
    recall = right / len(true_pairs) if true_pairs else 1.0
    blocking_recall = len(set(candidates) & true_pairs) / len(true_pairs) if true_pairs else 1.0
    print(f"candidate pairs: {len(candidates):,} (blocking recall {blocking_recall:.3f})")
    print(
        f"at threshold {arguments.threshold}: precision {precision:.4f}, recall {recall:.4f} "
        f"(goal: precision >= 0.95 at recall >= 0.90)"
    )
    for threshold in (0.6, 0.7, 0.75, 0.8, 0.85, 0.9):
        at = {pair for pair, value in scored.items() if value >= threshold}
        hits = len(at & true_pairs)
        print(
            f"  threshold {threshold:.2f}: precision {hits / len(at) if at else 1:.3f}, "
            f"recall {hits / len(true_pairs):.3f}"
        )
    print(
        f"blocking {blocked - started:.1f} s, scoring {finished - blocked:.1f} s "
        f"(CPU {cpu_finished - cpu_started:.1f} s, load average {os.getloadavg()[0]:.1f}); "
        f"process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    if arguments.show_errors:
        misses = sorted(true_pairs - found)[: arguments.show_errors]
        wrong = sorted(found - true_pairs)[: arguments.show_errors]
        for title, pairs in (("missed", misses), ("wrongly matched", wrong)):
            print(title)
            for first, second in pairs:
                value = scored.get((first, second))
                print(f"  {records[first].name!r} / {records[second].name!r}: {value}")


def measure_database(arguments) -> None:
    """The records as victims of one case on the configured database; the service's candidate search timed."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casework.settings")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    if "bench" not in settings.DATABASES["default"]["NAME"]:
        sys.exit("--database needs a DATABASE_URL whose database name contains 'bench'.")
    call_command("migrate", verbosity=0)
    from django.utils import timezone

    from casework.cases.models import Case
    from casework.incidents.linkage.services import linkage_find_candidates
    from casework.incidents.models import Governorate, Incident, IncidentType, LinkCandidate, Victim

    case, created = Case.objects.get_or_create(reference="BENCH-LINK", defaults={"title": "Linkage bench"})
    if created or arguments.reseed:
        Victim.objects.filter(incident__case=case).delete()
        Incident.objects.filter(case=case).delete()
        rng = random.Random(arguments.seed)
        labelled = reports(people(arguments.people, rng), rng)
        governorates = list(Governorate.objects.order_by("id")[:GOVERNORATES])
        incident_type = IncidentType.objects.order_by("id").first()
        incidents = {}
        for _person, fields in labelled:
            key = (fields["governorate_id"], fields["day"])
            if key not in incidents:
                incidents[key] = Incident(
                    case=case,
                    reference=f"L-{len(incidents)}",
                    title="Strike",
                    start_time=timezone.make_aware(dt.datetime.combine(fields["day"], dt.time(12))),
                    governorate=governorates[fields["governorate_id"] % len(governorates)],
                    incident_type=incident_type,
                )
        Incident.objects.bulk_create(incidents.values(), batch_size=5000)
        victims = [
            Victim(
                incident=incidents[(fields["governorate_id"], fields["day"])],
                name=fields["name"],
                sex=fields["sex"],
                age=fields["age"],
                status="killed",
                source_name=f"source {index % 4}",
            )
            for index, (_person, fields) in enumerate(labelled)
        ]
        Victim.objects.bulk_create(victims, batch_size=5000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    total = Victim.objects.filter(incident__case=case).count()
    started, cpu_started = time.perf_counter(), time.process_time()
    stored = linkage_find_candidates(case_id=case.pk)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(
        f"{connection.vendor}: {total:,} victims, candidate generation and scoring {elapsed:.1f} s "
        f"(this process's CPU {cpu:.1f} s; load average {os.getloadavg()[0]:.1f}) "
        f"(goal at 200,000: under 60 s), {stored:,} candidates stored "
        f"({LinkCandidate.objects.filter(case=case).count():,} in the table); "
        f"process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--threshold", type=float, default=None, help="default: scoring.DEFAULT_THRESHOLD")
    parser.add_argument("--show-errors", type=int, default=0, help="print this many misses and wrong matches")
    parser.add_argument("--database", action="store_true", help="time the service on DATABASE_URL")
    parser.add_argument("--reseed", action="store_true")
    arguments = parser.parse_args()
    if arguments.database:
        measure_database(arguments)
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casework.settings")
    import django

    django.setup()
    from casework.incidents.linkage.scoring import DEFAULT_THRESHOLD

    if arguments.threshold is None:
        arguments.threshold = DEFAULT_THRESHOLD
    measure_quality(arguments)


if __name__ == "__main__":
    main()
