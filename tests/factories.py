import csv
import datetime as dt
import io
import itertools

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from casework.cases.models import Case, CaseMembership
from casework.evidence.models import MediaItem
from casework.incidents import tabular
from casework.incidents.models import Governorate, Incident, IncidentType, Victim
from casework.text import normalise_for_matching
from casework.witnesses.models import Testimony, Witness

TEST_PASSWORD = "correct horse battery staple 42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def persist_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    reference = factory.Sequence(lambda n: f"CW-{n + 1:04d}")
    title = factory.Sequence(lambda n: f"Airstrikes, line of investigation {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseMembership

    case = factory.SubFactory(CaseFactory)
    user = factory.SubFactory(UserFactory)
    role = "intake"


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident

    case = factory.SubFactory(CaseFactory)
    reference = factory.Sequence(lambda n: f"INC-{n + 1:05d}")
    title = factory.Sequence(lambda n: f"Airstrike on a market, {n}")
    start_time = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=30))
    governorate = factory.LazyFunction(lambda: Governorate.objects.get(code="idlib", case=None))
    incident_type = factory.LazyFunction(lambda: IncidentType.objects.get(code="airstrike", case=None))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Saved with its month's rollup recounted, as incident_write does (weapons or facilities added to it
        afterwards need incident_refresh_tolls, as the service calls it after setting them)."""
        from casework.incidents.services import rollup_key, rollups_recount

        incident = super()._create(model_class, *args, **kwargs)
        incident.refresh_from_db(fields=["start_time"])
        rollups_recount(keys=[rollup_key(incident.case_id, incident.start_time, incident.governorate_id)])
        return incident


class VictimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Victim

    incident = factory.SubFactory(IncidentFactory)
    sex = "male"
    age = 35
    age_band = "adult"
    combatant_status = "civilian"
    status = "killed"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Saved as the victim services save: the incident's tolls are written in the same transaction."""
        from casework.incidents.services import incident_refresh_tolls

        victim = super()._create(model_class, *args, **kwargs)
        incident_refresh_tolls(incident_id=victim.incident_id)
        return victim


class WitnessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Witness

    case = factory.SubFactory(CaseFactory)
    pseudonym = factory.Sequence(lambda n: f"W-{n + 1:03d}")
    relationship = "eyewitness"


class TestimonyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Testimony

    case = factory.SubFactory(CaseFactory)
    witness = factory.SubFactory(WitnessFactory, case=factory.SelfAttribute("..case"))
    interview_date = factory.LazyFunction(lambda: timezone.localdate())
    interviewer = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("interviewer")
    method = "phone"
    language = "ar"
    original_text = "رأيت الطائرة تقصف السوق."


class MediaItemFactory(factory.django.DjangoModelFactory):
    """A stored media item's row only (no file): for lists, links and constraints, not for processing."""

    class Meta:
        model = MediaItem

    case = factory.SubFactory(CaseFactory)
    original = factory.Sequence(lambda n: f"originals/factory-{n}")
    sha256 = factory.Sequence(lambda n: f"{n + 1:064x}")
    size_bytes = 10
    mime_type = "image/jpeg"
    kind = "photo"
    source = "witness"
    acquired_at = factory.LazyFunction(timezone.now)
    acquired_by = factory.SubFactory(UserFactory)


# Spreadsheet rows (casework.incidents.tabular): a file's bytes from rows given as {column: cell}.

CSV_COLUMN_KEYS = {normalise_for_matching(column): column for column in tabular.COLUMNS}


def csv_bytes(rows: list[dict], *, columns=tabular.COLUMNS, bom: bool = False, delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            [row.get(CSV_COLUMN_KEYS.get(normalise_for_matching(column), column), "") for column in columns]
        )
    return (tabular.BOM if bom else "").encode() + buffer.getvalue().encode("utf-8")


def incident_row(reference: str = "INC-1", **cells) -> dict:
    return {
        "incident_reference": reference,
        "incident_title": "Airstrike on the market",
        "incident_date": "2017-09-15",
        "governorate": "idlib",
        "incident_type": "airstrike",
        **cells,
    }


_people = itertools.count(1)


def victim_row(reference: str = "INC-1", **cells) -> dict:
    """A killed victim; each unnamed call names a different person (the same person twice is a problem)."""
    return incident_row(reference, **{"victim_name": f"Ahmad {next(_people)}", "victim_status": "killed", **cells})
