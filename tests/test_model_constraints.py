"""The database itself refuses bad rows, whatever code writes them.

Every write here bypasses forms and model validation: `objects.create()`, `save()` or `QuerySet.update()`.
Each refusal must name the constraint that fired, so a test cannot pass because some other rule (a NOT NULL,
a different check) happened to refuse the row. Each bad write runs in its own savepoint: on PostgreSQL a
failed statement aborts the surrounding transaction.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from casework.audit.models import AuditEvent
from casework.audit.services import audit_record
from casework.bundles.models import EvidenceBundle
from casework.cases.models import Case, CaseMembership, CaseRole
from casework.evidence.custody import custody_record
from casework.evidence.models import CustodyEvent, MediaItem, NearDuplicate
from casework.incidents.models import (
    Attribution,
    FacilityType,
    Governorate,
    Incident,
    IncidentType,
    Occupation,
    Party,
    SpreadsheetImport,
    Victim,
    WeaponType,
)
from casework.witnesses.models import Consent, Testimony, TestimonyTranslation, Witness
from tests.factories import IncidentFactory, UserFactory, VictimFactory, WitnessFactory

pytestmark = pytest.mark.django_db

NOT_A_CHOICE = "bogus"  # short enough for every choice column, so only the choice check can refuse it


def violation_text(model: type[models.Model], constraint: str) -> str:
    """What the database's error says when `constraint` (a Meta constraint, or a unique=True field) fails."""
    meta = model._meta
    declared = {declared.name: declared for declared in meta.constraints}
    if constraint in declared:
        if connection.vendor == "postgresql":
            return f'constraint "{constraint}"'
        if isinstance(declared[constraint], models.CheckConstraint):
            return f"CHECK constraint failed: {constraint}"
        columns = [meta.get_field(name).column for name in declared[constraint].fields]
    else:
        columns = [meta.get_field(constraint).column]
        if connection.vendor == "postgresql":
            return f"Key ({columns[0]})="
    return "UNIQUE constraint failed: " + ", ".join(f"{meta.db_table}.{column}" for column in columns)


@contextmanager
def refused(model: type[models.Model], constraint: str) -> Iterator[None]:
    """The write inside must fail with an IntegrityError naming `constraint`."""
    with pytest.raises(IntegrityError) as refusal, transaction.atomic():
        yield
    assert violation_text(model, constraint) in str(refusal.value)


def update(row: models.Model, **values) -> None:
    """Write straight to the row: no form, no full_clean(), no save(). The row must exist, so an accepted
    write is one that really happened (a filter matching nothing would "accept" anything)."""
    assert type(row).objects.filter(pk=row.pk).update(**values) == 1, "the row to update is not there"
    assert_stored(type(row), row.pk, **values)


def assert_stored(model: type[models.Model], pk, **values) -> None:
    """The row `pk` of `model` holds `values` (related rows by their key)."""
    plain = {name: value.pk if isinstance(value, models.Model) else value for name, value in values.items()}
    columns = {name: model._meta.get_field(name).attname for name in plain}
    stored = model._base_manager.filter(pk=pk).values(*columns.values()).get()
    assert {name: stored[column] for name, column in columns.items()} == plain


def accepted(row: models.Model, *names: str) -> None:
    """A row written with create()/save() is in the table with the values it was given."""
    assert_stored(type(row), row.pk, **{name: getattr(row, name) for name in names})


class CaseTests:
    @pytest.mark.parametrize("reference", ["cw-0042", "CW 0042", "CW_0042", "-CW-0042", ""])
    def test_reference_must_be_capitals_digits_and_hyphens(self, reference):
        with refused(Case, "case_reference_format"):
            Case.objects.create(reference=reference, title="Airstrikes")

    def test_reference_with_a_trailing_newline_is_refused(self):
        with refused(Case, "case_reference_format"):
            Case.objects.create(reference="CW-0042\n", title="Airstrikes")

    @pytest.mark.parametrize("reference", ["CW-0042", "A", "2017-IDLIB-3"])
    def test_well_formed_reference_is_accepted(self, reference):
        accepted(Case.objects.create(reference=reference, title="Airstrikes"), "reference")

    def test_reference_is_unique(self, case):
        with refused(Case, "reference"):
            Case.objects.create(reference=case.reference, title="Another case")


class CaseMembershipTests:
    def test_user_has_one_membership_per_case(self, case, intake_worker):
        with refused(CaseMembership, "one_membership_per_user_and_case"):
            CaseMembership.objects.create(case=case, user=intake_worker, role=CaseRole.ANALYST)

    def test_user_can_be_member_of_another_case(self, other_case, intake_worker):
        membership = CaseMembership.objects.create(case=other_case, user=intake_worker, role=CaseRole.ANALYST)
        accepted(membership, "case", "role")

    def test_role_outside_the_list_is_refused(self, one_of_everything):
        with refused(CaseMembership, "membership_role_valid"):
            update(one_of_everything["membership"], role=NOT_A_CHOICE)

    @pytest.mark.parametrize("role", CaseRole.values)
    def test_every_listed_role_is_accepted(self, one_of_everything, role):
        update(one_of_everything["membership"], role=role)


VOCABULARIES = [Governorate, IncidentType, WeaponType, FacilityType, Occupation, Party]


@pytest.mark.parametrize("vocabulary", VOCABULARIES, ids=[model.__name__ for model in VOCABULARIES])
class VocabularyTermTests:
    # NULLs never collide in a plain unique index, so shared terms (case NULL) need their own partial one.
    def test_shared_term_code_is_unique(self, db, vocabulary):
        vocabulary.objects.create(code="test-term", name="Test term")
        with refused(vocabulary, f"{vocabulary._meta.model_name}_shared_code_unique"):
            vocabulary.objects.create(code="test-term", name="Test term again")

    def test_case_term_code_is_unique_within_the_case(self, case, vocabulary):
        vocabulary.objects.create(case=case, code="test-term", name="Test term")
        with refused(vocabulary, f"{vocabulary._meta.model_name}_case_code_unique"):
            vocabulary.objects.create(case=case, code="test-term", name="Test term again")

    def test_same_code_may_be_shared_and_in_several_cases(self, case, other_case, vocabulary):
        for owner in (None, case, other_case):
            accepted(vocabulary.objects.create(case=owner, code="test-term", name=f"Term of {owner}"), "case", "code")


class IncidentTests:
    def test_reference_is_unique_within_a_case(self, one_of_everything):
        incident = one_of_everything["incident"]
        with refused(Incident, "incident_reference_unique_per_case"):
            IncidentFactory(case=incident.case, reference=incident.reference)

    def test_same_reference_may_be_used_in_another_case(self, one_of_everything, other_case):
        incident = IncidentFactory(case=other_case, reference=one_of_everything["incident"].reference)
        accepted(incident, "case", "reference")

    def test_date_precision_outside_the_list_is_refused(self, one_of_everything):
        with refused(Incident, "incident_date_precision_valid"):
            update(one_of_everything["incident"], date_precision=NOT_A_CHOICE)

    def test_incident_cannot_end_before_it_starts(self, one_of_everything):
        incident = one_of_everything["incident"]
        with refused(Incident, "incident_ends_after_start"):
            update(incident, end_time=incident.start_time - timedelta(seconds=1))

    def test_incident_may_end_when_it_starts(self, one_of_everything):
        incident = one_of_everything["incident"]
        update(incident, end_time=incident.start_time)

    @pytest.mark.parametrize(
        ("field", "value"),
        [("latitude", "90.000001"), ("latitude", "-90.000001"), ("longitude", "180.000001"), ("longitude", "-180.5")],
    )
    def test_coordinate_out_of_range_is_refused(self, one_of_everything, field, value):
        with refused(Incident, f"incident_{field}_range"):
            update(one_of_everything["incident"], **{field: Decimal(value)})

    @pytest.mark.parametrize(("latitude", "longitude"), [("90", "180"), ("-90", "-180"), ("0", "0")])
    def test_coordinates_at_the_limits_are_accepted(self, one_of_everything, latitude, longitude):
        update(one_of_everything["incident"], latitude=Decimal(latitude), longitude=Decimal(longitude))

    @pytest.mark.parametrize("missing", ["latitude", "longitude"])
    def test_latitude_and_longitude_come_together(self, one_of_everything, missing):
        with refused(Incident, "incident_lat_lon_together"):
            update(one_of_everything["incident"], **{missing: None})

    def test_incident_without_coordinates_is_accepted(self, one_of_everything):
        update(one_of_everything["incident"], latitude=None, longitude=None)

    @pytest.mark.parametrize("part", ["children_killed", "adult_women_killed"])
    def test_toll_part_cannot_exceed_civilians_killed(self, one_of_everything, part):
        with refused(Incident, "incident_toll_parts_within_total"):
            update(one_of_everything["incident"], civilians_killed=2, **{part: 3})

    @pytest.mark.parametrize("part", ["children_killed", "adult_women_killed"])
    def test_toll_part_may_equal_civilians_killed(self, one_of_everything, part):
        update(one_of_everything["incident"], civilians_killed=2, **{part: 2})


class AttributionTests:
    def test_party_is_attributed_once_per_incident(self, one_of_everything):
        attribution = one_of_everything["attribution"]
        with refused(Attribution, "one_attribution_per_party"):
            Attribution.objects.create(
                incident=attribution.incident, party=attribution.party, confidence="likely", basis="Again."
            )

    def test_confidence_outside_the_list_is_refused(self, one_of_everything):
        with refused(Attribution, "attribution_confidence_valid"):
            update(one_of_everything["attribution"], confidence=NOT_A_CHOICE)

    def test_attribution_needs_a_basis(self, one_of_everything):
        with refused(Attribution, "attribution_basis_required"):
            update(one_of_everything["attribution"], basis="")


class VictimTests:
    @pytest.mark.parametrize(
        ("field", "constraint"),
        [
            ("sex", "victim_sex_valid"),
            ("age_band", "victim_age_band_valid"),
            ("combatant_status", "victim_combatant_status_valid"),
            ("status", "victim_status_valid"),
        ],
    )
    def test_choice_outside_its_list_is_refused(self, one_of_everything, field, constraint):
        with refused(Victim, constraint):
            update(one_of_everything["victim"], **{field: NOT_A_CHOICE})

    def test_victim_age_over_130_is_refused(self, one_of_everything):
        with refused(Victim, "victim_age_plausible"):
            update(one_of_everything["victim"], age=131)

    def test_victim_age_130_is_accepted(self, one_of_everything):
        update(one_of_everything["victim"], age=130)

    def test_victim_age_18_cannot_be_in_child_band(self, one_of_everything):
        with refused(Victim, "victim_age_matches_band"):
            update(one_of_everything["victim"], age=18, age_band="child")

    def test_victim_age_17_cannot_be_in_adult_band(self, one_of_everything):
        with refused(Victim, "victim_age_matches_band"):
            update(one_of_everything["victim"], age=17, age_band="adult")

    @pytest.mark.parametrize(
        ("age", "age_band"),
        [(17, "child"), (0, "child"), (18, "adult"), (None, "child"), (None, "adult"), (5, "unknown"), (40, "unknown")],
    )
    def test_age_agreeing_with_the_band_is_accepted(self, one_of_everything, age, age_band):
        update(one_of_everything["victim"], age=age, age_band=age_band)

    def test_victim_cannot_be_a_duplicate_of_itself(self, one_of_everything):
        victim = one_of_everything["victim"]
        with refused(Victim, "victim_not_duplicate_of_itself"):
            update(victim, duplicate_of=victim)

    def test_victim_may_be_a_duplicate_of_another_victim(self, one_of_everything):
        victim = one_of_everything["victim"]
        update(VictimFactory(incident=victim.incident), duplicate_of=victim)


class WitnessTests:
    def test_pseudonym_is_unique_within_a_case(self, one_of_everything):
        witness = one_of_everything["witness"]
        with refused(Witness, "witness_pseudonym_unique_per_case"):
            WitnessFactory(case=witness.case, pseudonym=witness.pseudonym)

    def test_same_pseudonym_may_be_used_in_another_case(self, one_of_everything, other_case):
        witness = WitnessFactory(case=other_case, pseudonym=one_of_everything["witness"].pseudonym)
        accepted(witness, "case", "pseudonym")

    def test_witness_needs_a_pseudonym(self, one_of_everything):
        with refused(Witness, "witness_pseudonym_required"):
            update(one_of_everything["witness"], pseudonym="")

    @pytest.mark.parametrize("field", ["relationship", "risk_level", "reliability", "connection"])
    def test_choice_outside_its_list_is_refused(self, one_of_everything, field):
        with refused(Witness, f"witness_{field}_valid"):
            update(one_of_everything["witness"], **{field: NOT_A_CHOICE})


class ConsentTests:
    @pytest.mark.parametrize("field", ["scope", "method"])
    def test_choice_outside_its_list_is_refused(self, one_of_everything, field):
        with refused(Consent, f"consent_{field}_valid"):
            update(one_of_everything["consent"], **{field: NOT_A_CHOICE})

    def test_consent_cannot_be_withdrawn_before_it_was_given(self, one_of_everything):
        consent = one_of_everything["consent"]
        with refused(Consent, "consent_withdrawn_after_given"):
            update(consent, withdrawn_on=consent.given_on - timedelta(days=1))

    def test_consent_may_be_withdrawn_on_the_day_it_was_given(self, one_of_everything):
        consent = one_of_everything["consent"]
        update(consent, withdrawn_on=consent.given_on)


class TestimonyTests:
    @pytest.mark.parametrize("field", ["method", "status"])
    def test_choice_outside_its_list_is_refused(self, one_of_everything, field):
        with refused(Testimony, f"testimony_{field}_valid"):
            update(one_of_everything["testimony"], **{field: NOT_A_CHOICE})

    def test_testimony_needs_text(self, one_of_everything):
        with refused(Testimony, "testimony_text_required"):
            update(one_of_everything["testimony"], original_text="")

    def test_author_cannot_review_own_testimony(self, one_of_everything):
        testimony = one_of_everything["testimony"]
        with refused(Testimony, "testimony_reviewer_is_not_author"):
            update(testimony, status="verified", reviewed_by=testimony.created_by, reviewed_at=timezone.now())

    def test_second_person_may_verify_a_testimony(self, one_of_everything, reviewer):
        update(one_of_everything["testimony"], status="verified", reviewed_by=reviewer, reviewed_at=timezone.now())

    def test_rejection_needs_a_reason(self, one_of_everything, reviewer):
        with refused(Testimony, "testimony_rejection_has_reason"):
            update(
                one_of_everything["testimony"],
                status="rejected",
                reviewed_by=reviewer,
                reviewed_at=timezone.now(),
                review_reason="",
            )

    def test_rejection_with_a_reason_is_accepted(self, one_of_everything, reviewer):
        update(
            one_of_everything["testimony"],
            status="rejected",
            reviewed_by=reviewer,
            reviewed_at=timezone.now(),
            review_reason="The witness was not there that day.",
        )

    @pytest.mark.parametrize("status", ["verified", "rejected"])
    def test_decision_needs_a_reviewer(self, one_of_everything, status):
        with refused(Testimony, "testimony_decision_has_reviewer"):
            update(one_of_everything["testimony"], status=status, review_reason="Checked.")

    def test_decision_needs_a_review_time(self, one_of_everything, reviewer):
        with refused(Testimony, "testimony_decision_has_reviewer"):
            update(one_of_everything["testimony"], status="verified", reviewed_by=reviewer, reviewed_at=None)


class TestimonyTranslationTests:
    def test_one_translation_per_language(self, one_of_everything):
        translation = one_of_everything["translation"]
        with refused(TestimonyTranslation, "one_translation_per_language"):
            TestimonyTranslation.objects.create(
                testimony=translation.testimony, language=translation.language, text="Again."
            )

    def test_translation_into_another_language_is_accepted(self, one_of_everything):
        translation = TestimonyTranslation.objects.create(
            testimony=one_of_everything["testimony"], language="fr", text="J'ai vu."
        )
        accepted(translation, "testimony", "language", "text")

    def test_translation_needs_text(self, one_of_everything):
        with refused(TestimonyTranslation, "translation_text_required"):
            update(one_of_everything["translation"], text="")


def media_item(*, case: Case, acquired_by, sha256: str = "e" * 64) -> MediaItem:
    return MediaItem.objects.create(
        case=case,
        original="originals/x",
        sha256=sha256,
        size_bytes=10,
        mime_type="image/jpeg",
        kind="photo",
        source="witness",
        acquired_at=timezone.now(),
        acquired_by=acquired_by,
    )


class MediaItemTests:
    def test_same_bytes_are_stored_once_per_case(self, one_of_everything):
        media = one_of_everything["media"]
        with refused(MediaItem, "media_sha256_unique_per_case"):
            media_item(case=media.case, acquired_by=media.acquired_by, sha256=media.sha256)

    def test_same_bytes_may_be_stored_in_another_case(self, one_of_everything, other_case):
        media = one_of_everything["media"]
        accepted(media_item(case=other_case, acquired_by=media.acquired_by, sha256=media.sha256), "case", "sha256")

    @pytest.mark.parametrize(
        "sha256", ["A" * 64, "a" * 63, "g" * 64, "not-a-hash", ""], ids=["upper", "short", "non-hex", "text", "empty"]
    )
    def test_sha256_must_be_64_lowercase_hex_digits(self, one_of_everything, sha256):
        with refused(MediaItem, "media_sha256_format"):
            update(one_of_everything["media"], sha256=sha256)

    def test_empty_file_is_refused(self, one_of_everything):
        with refused(MediaItem, "media_not_empty"):
            update(one_of_everything["media"], size_bytes=0)

    def test_one_byte_file_is_accepted(self, one_of_everything):
        update(one_of_everything["media"], size_bytes=1)

    @pytest.mark.parametrize(
        ("field", "constraint"),
        [
            ("kind", "media_kind_valid"),
            ("source", "media_source_valid"),
            ("processing_state", "media_processing_state_valid"),
            ("verification_status", "media_verification_valid"),
        ],
    )
    def test_choice_outside_its_list_is_refused(self, one_of_everything, field, constraint):
        with refused(MediaItem, constraint):
            update(one_of_everything["media"], **{field: NOT_A_CHOICE})

    @pytest.mark.parametrize(("field", "value"), [("latitude", "90.000001"), ("longitude", "-180.000001")])
    def test_coordinate_out_of_range_is_refused(self, one_of_everything, field, value):
        with refused(MediaItem, f"media_{field}_range"):
            update(one_of_everything["media"], **{field: Decimal(value)})

    def test_coordinates_at_the_limits_are_accepted(self, one_of_everything):
        update(one_of_everything["media"], latitude=Decimal("-90"), longitude=Decimal("180"))

    def test_negative_duration_is_refused(self, one_of_everything):
        with refused(MediaItem, "media_duration_not_negative"):
            update(one_of_everything["media"], duration_seconds=-0.5)

    def test_whoever_acquired_an_item_cannot_review_it(self, one_of_everything):
        media = one_of_everything["media"]
        with refused(MediaItem, "media_reviewer_is_not_acquirer"):
            update(media, verified_by=media.acquired_by)

    @pytest.mark.parametrize("status", ["verified", "rejected"])
    def test_decision_needs_a_reviewer(self, one_of_everything, status):
        with refused(MediaItem, "media_decision_has_reviewer"):
            update(one_of_everything["media"], verification_status=status)

    def test_second_person_may_verify_an_item(self, one_of_everything, reviewer):
        update(one_of_everything["media"], verification_status="verified", verified_by=reviewer)


class NearDuplicateTests:
    def test_pair_is_stored_smaller_id_first(self, one_of_everything):
        pair = one_of_everything["near_duplicate"]
        with refused(NearDuplicate, "near_duplicate_ordered_pair"):
            update(pair, first=pair.second, second=pair.first)

    def test_pair_is_stored_once(self, one_of_everything):
        pair = one_of_everything["near_duplicate"]
        with refused(NearDuplicate, "near_duplicate_pair_unique"):
            NearDuplicate.objects.create(case=pair.case, first=pair.first, second=pair.second, distance=1)

    def test_status_outside_the_list_is_refused(self, one_of_everything):
        with refused(NearDuplicate, "near_duplicate_status_valid"):
            update(one_of_everything["near_duplicate"], status=NOT_A_CHOICE)


def next_custody_event(previous: CustodyEvent, **changes) -> CustodyEvent:
    """An unsaved event that would be a well-formed next link after `previous`, apart from `changes`."""
    values = {field.attname: getattr(previous, field.attname) for field in CustodyEvent._meta.concrete_fields}
    del values["id"]
    values.update(sequence=previous.sequence + 1, previous_hash=previous.event_hash, event_hash="b" * 64)
    return CustodyEvent(**{**values, **changes})


class CustodyEventTests:
    def test_queryset_update_is_refused(self, one_of_everything):
        event = one_of_everything["custody_event"]
        with pytest.raises(PermissionError):
            CustodyEvent.objects.update(action="viewed")
        with pytest.raises(PermissionError):
            CustodyEvent.objects.filter(pk=event.pk).update(action="viewed")
        assert CustodyEvent.objects.get(pk=event.pk).action == "received"

    def test_queryset_delete_is_refused(self, one_of_everything):
        event = one_of_everything["custody_event"]
        with pytest.raises(PermissionError):
            CustodyEvent.objects.all().delete()
        with pytest.raises(PermissionError):
            CustodyEvent.objects.filter(pk=event.pk).delete()
        assert CustodyEvent.objects.filter(pk=event.pk).exists()

    def test_saving_an_existing_event_is_refused(self, one_of_everything):
        event = one_of_everything["custody_event"]
        event.action = "viewed"
        with pytest.raises(PermissionError):
            event.save()
        assert CustodyEvent.objects.get(pk=event.pk).action == "received"

    def test_deleting_an_event_is_refused(self, one_of_everything):
        event = one_of_everything["custody_event"]
        with pytest.raises(PermissionError):
            event.delete()
        assert CustodyEvent.objects.filter(pk=event.pk).exists()

    def test_custody_record_appends_a_linked_event(self, one_of_everything, intake_worker):
        first = one_of_everything["custody_event"]
        second = custody_record(action="viewed", target=one_of_everything["media"], actor=intake_worker)
        assert (second.sequence, second.previous_hash) == (first.sequence + 1, first.event_hash)

    def test_well_formed_event_is_accepted(self, one_of_everything):
        event = next_custody_event(one_of_everything["custody_event"])
        event.save()
        accepted(event, "sequence", "event_hash", "previous_hash")

    def test_action_outside_the_list_is_refused(self, one_of_everything):
        with refused(CustodyEvent, "custody_action_valid"):
            next_custody_event(one_of_everything["custody_event"], action=NOT_A_CHOICE).save()

    @pytest.mark.parametrize(
        ("field", "constraint"),
        [("event_hash", "custody_hash_format"), ("previous_hash", "custody_previous_hash_format")],
    )
    @pytest.mark.parametrize("bad_hash", ["B" * 64, "b" * 63, "x" * 64], ids=["upper", "short", "non-hex"])
    def test_hash_must_be_64_lowercase_hex_digits(self, one_of_everything, field, constraint, bad_hash):
        with refused(CustodyEvent, constraint):
            next_custody_event(one_of_everything["custody_event"], **{field: bad_hash}).save()

    @pytest.mark.parametrize("field", ["sequence", "event_hash"])
    def test_sequence_and_hash_are_unique(self, one_of_everything, field):
        previous = one_of_everything["custody_event"]
        with refused(CustodyEvent, field):
            next_custody_event(previous, **{field: getattr(previous, field)}).save()


class EvidenceBundleTests:
    @pytest.mark.parametrize("field", ["scope", "profile", "status"])
    def test_choice_outside_its_list_is_refused(self, one_of_everything, field):
        with refused(EvidenceBundle, f"bundle_{field}_valid"):
            update(one_of_everything["bundle"], **{field: NOT_A_CHOICE})

    def test_progress_over_100_is_refused(self, one_of_everything):
        with refused(EvidenceBundle, "bundle_progress_at_most_100"):
            update(one_of_everything["bundle"], progress_percent=101)

    def test_progress_100_is_accepted(self, one_of_everything):
        update(one_of_everything["bundle"], progress_percent=100)

    def test_bundle_needs_a_recipient(self, one_of_everything):
        with refused(EvidenceBundle, "bundle_recipient_required"):
            update(one_of_everything["bundle"], recipient="")

    @pytest.mark.parametrize(
        ("archive", "manifest_sha256"),
        [("", ""), ("bundles/1.zip", ""), ("", "c" * 64)],
        ids=["neither", "no-manifest-hash", "no-archive"],
    )
    def test_ready_bundle_needs_archive_and_manifest_hash(self, one_of_everything, archive, manifest_sha256):
        with refused(EvidenceBundle, "bundle_ready_has_archive"):
            update(one_of_everything["bundle"], status="ready", archive=archive, manifest_sha256=manifest_sha256)

    def test_ready_bundle_with_archive_and_manifest_hash_is_accepted(self, one_of_everything):
        update(one_of_everything["bundle"], status="ready", archive="bundles/1.zip", manifest_sha256="c" * 64)

    def test_failed_bundle_needs_a_reason(self, one_of_everything):
        with refused(EvidenceBundle, "bundle_failure_has_reason"):
            update(one_of_everything["bundle"], status="failed", failure_reason="")

    def test_failed_bundle_with_a_reason_is_accepted(self, one_of_everything):
        update(one_of_everything["bundle"], status="failed", failure_reason="The worker was stopped.")


class AuditEventTests:
    def test_action_outside_the_list_is_refused(self, db):
        with refused(AuditEvent, "audit_action_valid"):
            AuditEvent.objects.create(action=NOT_A_CHOICE, actor_label="someone")

    def test_identity_reveal_needs_a_reason(self, one_of_everything):
        with refused(AuditEvent, "audit_reveal_has_reason"):
            audit_record(action="identity_revealed", actor=UserFactory(), target=one_of_everything["witness"])

    def test_identity_reveal_with_a_reason_is_accepted(self, one_of_everything):
        event = audit_record(
            action="identity_revealed",
            actor=UserFactory(),
            target=one_of_everything["witness"],
            reason="Court summons, case 12/2024.",
        )
        accepted(event, "action", "reason")

    def test_events_cannot_be_changed_or_deleted(self, db):
        event = audit_record(action="sign_in", actor=UserFactory())
        for attempt in (
            lambda: AuditEvent.objects.update(actor_label="someone else"),
            AuditEvent.objects.all().delete,
            event.save,
            event.delete,
        ):
            with pytest.raises(PermissionError):
                attempt()
        assert AuditEvent.objects.filter(pk=event.pk).exists()


class SpreadsheetImportTests:
    @pytest.mark.parametrize("sha256", ["A" * 64, "a" * 63, "g" * 64, "a" * 63 + "\n", ""])
    def test_sha256_must_be_64_lowercase_hex_digits(self, one_of_everything, sha256):
        with refused(SpreadsheetImport, "spreadsheet_import_sha256_format"):
            update(one_of_everything["spreadsheet_import"], sha256=sha256)
