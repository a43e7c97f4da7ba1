"""A realistic, entirely fictional case in English and Arabic, with generated media."""

import io
import tempfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from casework.cases.models import Case, CaseRole
from casework.cases.services import case_create, membership_add
from casework.evidence.samples import jpeg_bytes, scene_image, write_video
from casework.evidence.services import media_ingest_path, media_ingest_stream
from casework.incidents.models import (
    FacilityType,
    Governorate,
    IncidentType,
    Occupation,
    Party,
    Victim,
    WeaponType,
)
from casework.incidents.services import VictimChange, incident_write
from casework.incidents.vocabularies import vocabularies_seed
from casework.witnesses.services import consents_record, testimony_submit, testimony_write, witness_write

DEMO_CASE_REFERENCE = "CW-0042"
DEMO_PASSWORD = "casework-demo-2026"
DEMO_USERS = [
    ("demo", CaseRole.CASE_ADMIN),
    ("demo-intake", CaseRole.INTAKE),
    ("demo-reviewer", CaseRole.REVIEWER),
    ("demo-analyst", CaseRole.ANALYST),
]

# (reference, title, governorate, type, weapons, facilities, days before 2017-10-01, lat, lon, locality)
INCIDENTS = [
    (
        "INC-001",
        "Airstrike on the vegetable market in Ariha / غارة على سوق الخضار في أريحا",
        "idlib",
        "airstrike",
        ["cluster-munition"],
        ["market"],
        12,
        35.8130,
        36.6090,
        "Ariha",
    ),
    (
        "INC-002",
        "Barrel bombs on a school in Kafr Nabl / براميل متفجرة على مدرسة في كفرنبل",
        "idlib",
        "airstrike",
        ["barrel-bomb"],
        ["school"],
        20,
        35.6133,
        36.5619,
        "Kafr Nabl",
    ),
    (
        "INC-003",
        "Incendiary strike near Al-Bab hospital / غارة بأسلحة حارقة قرب مشفى الباب",
        "aleppo",
        "airstrike",
        ["incendiary"],
        ["medical-facility", "civil-defence-centre"],
        25,
        36.3711,
        37.5158,
        "Al-Bab",
    ),
    (
        "INC-004",
        "Shelling of a mosque in Kafr Zita / قصف مسجد في كفرزيتا",
        "hama",
        "shelling",
        ["artillery"],
        ["mosque"],
        30,
        35.3740,
        36.6010,
        "Kafr Zita",
    ),
    (
        "INC-005",
        "Missile strike on a bakery in Mayadin / ضربة صاروخية على فرن في الميادين",
        "deir-ez-zor",
        "missile-attack",
        ["guided-missile"],
        ["bakery"],
        40,
        35.0196,
        40.4516,
        "Mayadin",
    ),
    (
        "INC-006",
        "Cluster munitions on farmland in Daraa al-Balad / ذخائر عنقودية على أراض زراعية في درعا البلد",
        "daraa",
        "airstrike",
        ["cluster-munition"],
        [],
        50,
        32.6125,
        36.1025,
        "Daraa al-Balad",
    ),
]

# Per incident: (sex, age, age band, civilian status, victim status, occupation code, name)
VICTIMS = {
    "INC-001": [
        ("male", 34, "adult", "civilian", "killed", "", "Ahmad K."),
        ("female", 29, "adult", "civilian", "killed", "", "فاطمة ع."),
        ("male", 9, "child", "civilian", "killed", "", "Omar S."),
        ("female", 6, "child", "civilian", "killed", "", "ليلى س."),
        ("male", None, "adult", "civilian", "killed", "farmer", "Unnamed vendor"),
        ("female", 41, "adult", "civilian", "killed", "", "مريم ح."),
        ("male", 22, "adult", "civilian", "injured", "", "Yusuf D."),
        ("unknown", None, "unknown", "civilian", "injured", "", ""),
    ],
    "INC-002": [
        ("female", 35, "adult", "civilian", "killed", "teacher", "Huda R."),
        ("male", 11, "child", "civilian", "killed", "student", "خالد م."),
        ("female", 17, "child", "civilian", "killed", "student", "Rana T."),
        ("male", 12, "child", "civilian", "injured", "student", "سامر ب."),
    ],
    "INC-003": [
        ("female", 31, "adult", "civilian", "killed", "medical-personnel", "Dr. Salma N."),
        ("male", 44, "adult", "civilian", "killed", "civil-defence", "عبد الله ف."),
        ("male", 27, "adult", "civilian", "injured", "media-worker", "Karim J."),
        ("male", 30, "adult", "non_civilian", "killed", "", "Fighter (name withheld)"),
    ],
    "INC-004": [
        ("male", 63, "adult", "civilian", "killed", "", "الحاج محمود ز."),
        ("male", None, "unknown", "civilian", "missing", "", ""),
    ],
    "INC-005": [
        ("male", 18, "adult", "civilian", "killed", "", "Bilal A."),
        ("female", 18, "adult", "civilian", "killed", "", "نور ع."),
        ("female", None, "child", "civilian", "detained", "", "Unnamed girl"),
    ],
    "INC-006": [
        ("male", 15, "child", "civilian", "killed", "farmer", "Hasan Q."),
        ("male", 52, "adult", "civilian", "injured", "farmer", "جمال ق."),
    ],
}

ATTRIBUTIONS = {
    "INC-001": (
        "russian-forces",
        "likely",
        "Observatory network tracked the aircraft taking off from Hmeimim airbase "
        "minutes before the strike; remnants match cluster munitions used by that air force.",
    ),
    "INC-002": (
        "syrian-government-forces",
        "confirmed",
        "Helicopter seen by three eyewitnesses; barrel bombs are dropped only by government helicopters in this area.",
    ),
    "INC-003": (
        "syrian-government-forces",
        "possible",
        "Official media claimed strikes on 'terrorist positions' in Al-Bab on the same day.",
    ),
    "INC-004": (
        "syrian-government-forces",
        "likely",
        "Artillery fire from the Mhardeh positions reported by local monitors.",
    ),
    "INC-005": (
        "international-coalition",
        "possible",
        "Coalition strike report lists Mayadin for that date.",
    ),
    "INC-006": ("unidentified", "unknown", "No aircraft tracked; investigation ongoing."),
}

WITNESSES = [
    ("W-001", "Fictional Name One / اسم وهمي ١", "eyewitness", "high", "INC-001"),
    ("W-002", "Fictional Name Two / اسم وهمي ٢", "first_responder", "critical", "INC-003"),
    ("W-003", "Fictional Name Three / اسم وهمي ٣", "relative", "medium", "INC-002"),
]

TESTIMONIES = {
    "W-001": (
        "ar",
        "كنت في السوق عندما سمعت صوت الطائرة. بعد دقائق سقطت القنابل الصغيرة على البسطات وامتلأ المكان "
        "بالدخان. رأيت أطفالاً مصابين ونقلنا الجرحى إلى النقطة الطبية.",
        "I was in the market when I heard the aircraft. Minutes later small bomblets fell on the stalls and "
        "the place filled with smoke. I saw injured children and we carried the wounded to the medical point.",
    ),
    "W-002": (
        "ar",
        "وصلنا بعد الغارة الثانية. كانت النيران مشتعلة في مدخل المشفى، والمادة الحارقة تلتصق بالجدران. "
        "استشهد زميلنا أثناء إخلاء المرضى.",
        "We arrived after the second strike. Fire was burning at the hospital entrance and the incendiary "
        "material stuck to the walls. Our colleague was killed while evacuating patients.",
    ),
    "W-003": (
        "en",
        "My daughter was in class when the first barrel fell on the courtyard. The teachers tried to "
        "move the children to the basement.",
        "كانت ابنتي في الصف عندما سقط البرميل الأول على باحة المدرسة. حاولت المعلمات نقل الأطفال إلى القبو.",
    ),
}

BASE_DATE = datetime(2017, 10, 1, 9, 30, tzinfo=UTC)


class Command(BaseCommand):
    help = "Load a fictional demo case (English and Arabic) with incidents, victims, witnesses, testimonies, media."

    def handle(self, *args, **options):
        vocabularies_seed()
        users = self._users()
        if Case.objects.filter(reference=DEMO_CASE_REFERENCE).exists():
            self.stdout.write(f"Demo case {DEMO_CASE_REFERENCE} is already loaded.")
        else:
            self._load(users)
            self.stdout.write(self.style.SUCCESS(f"Loaded demo case {DEMO_CASE_REFERENCE}."))
        self.stdout.write(f"Demo sign-in (password {DEMO_PASSWORD} for every account):")
        for username, role in DEMO_USERS:
            superuser = " and superuser (Django admin)" if users[username].is_superuser else ""
            self.stdout.write(f"  {username:<15} {CaseRole(role).label}{superuser}")

    def _users(self):
        user_model = get_user_model()
        users = {}
        for username, _role in DEMO_USERS:
            user, created = user_model.objects.get_or_create(username=username)
            if created:
                user.set_password(DEMO_PASSWORD)
                # The demo's case admin may also open Django admin for data care.
                user.is_staff = user.is_superuser = username == "demo"
                user.save()
            users[username] = user
        return users

    @transaction.atomic
    def _load(self, users):
        # Opened as on the home page: the demo admin opens it, is its case admin, and puts the team together.
        case = case_create(
            reference=DEMO_CASE_REFERENCE,
            title="Airstrikes on north-west Syria, autumn 2017 (fictional demo) / غارات على شمال غرب سوريا (تجريبي)",
            description="Entirely fictional data for trying Casework. Any resemblance to real people is accidental.",
            admin=users["demo"],
            actor=users["demo"],
        )
        for username, role in DEMO_USERS:
            if username != "demo":
                membership_add(case=case, user=users[username], role=role, actor=users["demo"])

        # Everything through the services, as any other door: checks, tolls, history and audit as in real use.
        intake = users["demo-intake"]
        incidents = {}
        for ref, title, gov, kind, weapons, facilities, days, lat, lon, locality in INCIDENTS:
            party, confidence, basis = ATTRIBUTIONS[ref]
            incidents[ref] = incident_write(
                case=case,
                actor=intake,
                values={
                    "reference": ref,
                    "title": title,
                    "description": title,
                    "start_time": BASE_DATE - timedelta(days=days),
                    "date_precision": "exact" if days < 30 else "estimate",
                    "governorate": Governorate.objects.get(case=None, code=gov),
                    "locality": locality,
                    "latitude": Decimal(str(lat)),
                    "longitude": Decimal(str(lon)),
                    "incident_type": IncidentType.objects.get(case=None, code=kind),
                    "weapons": list(WeaponType.objects.filter(case=None, code__in=weapons)),
                    "facilities_hit": list(FacilityType.objects.filter(case=None, code__in=facilities)),
                },
                attributions=[
                    {"party": Party.objects.get(case=None, code=party), "confidence": confidence, "basis": basis}
                ],
                victims=[
                    VictimChange(
                        victim=Victim(),
                        values={
                            "name": name,
                            "sex": sex,
                            "age": age,
                            "age_band": band,
                            "combatant_status": civilian,
                            "status": status,
                            "occupation": Occupation.objects.get(case=None, code=occupation) if occupation else None,
                        },
                    )
                    for sex, age, band, civilian, status, occupation, name in VICTIMS[ref]
                ],
            )

        witnesses = {}
        for pseudonym, real_name, relationship, risk, ref in WITNESSES:
            witness = witness_write(
                case=case,
                actor=intake,
                values={
                    "pseudonym": pseudonym,
                    "real_name": real_name,
                    "phone": "+963 9xx xxx xxx (fictional)",
                    "relationship": relationship,
                    "risk_level": risk,
                    "reliability": "reliable",
                    "connection": "involved" if relationship != "relative" else "related",
                },
            )
            consents_record(
                witness=witness,
                scopes=["internal", "un_mechanisms"],
                values={"given_on": date(2017, 10, 3), "method": "oral_recorded"},
                actor=intake,
            )
            witnesses[pseudonym] = (witness, incidents[ref])

        for pseudonym, (language, text, translation) in TESTIMONIES.items():
            witness, incident = witnesses[pseudonym]
            testimony = testimony_write(
                case=case,
                actor=intake,
                values={
                    "witness": witness,
                    "interview_date": date(2017, 10, 4),
                    "method": "messaging_app" if pseudonym != "W-003" else "phone",
                    "language": language,
                    "original_text": text,
                },
                incidents=[incident],
                translations=[{"language": "en" if language == "ar" else "ar", "text": translation}],
            )
            testimony_submit(testimony=testimony, actor=intake)

        self._load_media(case, incidents, intake)

    def _load_media(self, case, incidents, intake_user):
        photos = [
            ("INC-001", 11, "Samsung", "SM-J500F", "+03:00"),
            ("INC-002", 12, "HUAWEI", "Y6 Prime", "+03:00"),
            ("INC-003", 13, "Apple", "iPhone 6s", "+03:00"),
            ("INC-004", 14, "Xiaomi", "Redmi Note 4", None),
            ("INC-005", 15, "", "", None),
        ]
        for ref, seed, make, model, offset in photos:
            incident = incidents[ref]
            content = jpeg_bytes(
                seed=seed,
                capture_time=incident.start_time.replace(tzinfo=None) + timedelta(minutes=25),
                utc_offset=offset,
                latitude=float(incident.latitude) + 0.0012,
                longitude=float(incident.longitude) - 0.0008,
                make=make,
                model=model,
            )
            media_ingest_stream(
                stream=io.BytesIO(content),
                case=case,
                original_filename=f"IMG_{seed:04d}.jpg",
                source="activist_message",
                acquired_by=intake_user,
                incidents=[incident],
            )
        # The INC-001 photo again, resized and re-compressed as a messaging app would: a near-duplicate.
        resized = scene_image(11).resize((640, 480))
        media_ingest_stream(
            stream=io.BytesIO(jpeg_bytes(image=resized)),
            case=case,
            original_filename="forwarded.jpg",
            source="social_media",
            source_url="https://example.org/post/123",
            acquired_by=intake_user,
            incidents=[incidents["INC-001"]],
        )
        with tempfile.TemporaryDirectory() as folder:
            try:
                video = write_video(Path(folder) / "VID_0001.mp4", seconds=3, creation_time="2017-09-19T07:10:00Z")
            except (RuntimeError, OSError) as error:
                self.stderr.write(f"Skipped the demo video: {error}")
                return
            media_ingest_path(
                path=video,
                case=case,
                source="witness",
                acquired_by=intake_user,
                incidents=[incidents["INC-003"]],
            )
