"""Consent decides what of a witness may be shared, per scope and per day."""

from datetime import date

import pytest

from casework.errors import Refused
from casework.witnesses.consent import Disclosure, witness_disclosure
from casework.witnesses.models import Consent
from casework.witnesses.services import consent_confirm_name, consent_record, consent_withdraw
from tests.factories import WitnessFactory

pytestmark = pytest.mark.django_db
DAY = date(2024, 6, 1)


@pytest.fixture
def witness(case):
    return WitnessFactory(case=case)


def give(witness, scope, *, given_on=date(2024, 1, 1), withdrawn_on=None, allows_name=False, by=None):
    """A consent recorded through the service; a name consent recorded by a case admin is confirmed at once."""
    if by is None:
        from casework.cases.models import CaseMembership

        by = CaseMembership.objects.filter(case=witness.case, role="case_admin").first().user
    consent = consent_record(
        witness=witness,
        values={"scope": scope, "given_on": given_on, "allows_name": allows_name, "method": "written"},
        actor=by,
    )
    if withdrawn_on is not None:
        consent_withdraw(consent=consent, withdrawn_on=withdrawn_on, reason="The witness asked.", actor=by)
    return consent


@pytest.fixture(autouse=True)
def _case_admin(case_admin):
    return case_admin


def test_no_consent_means_nothing_is_shared(witness):
    assert witness_disclosure(witness=witness, scope="courts", on=DAY) == Disclosure.WITHHOLD


def test_consent_for_one_scope_does_not_cover_another(witness):
    give(witness, "un_mechanisms")
    assert witness_disclosure(witness=witness, scope="un_mechanisms", on=DAY) == Disclosure.PSEUDONYM
    assert witness_disclosure(witness=witness, scope="media_public", on=DAY) == Disclosure.WITHHOLD


def test_name_only_when_the_consent_allows_it(witness):
    give(witness, "courts", allows_name=True)
    assert witness_disclosure(witness=witness, scope="courts", on=DAY) == Disclosure.NAME


def test_withdrawn_consent_stops_sharing_from_that_day(witness):
    give(witness, "courts", withdrawn_on=date(2024, 6, 1), allows_name=True)
    assert witness_disclosure(witness=witness, scope="courts", on=date(2024, 5, 31)) == Disclosure.NAME
    assert witness_disclosure(witness=witness, scope="courts", on=DAY) == Disclosure.WITHHOLD


def test_consent_given_later_does_not_count_before(witness):
    give(witness, "courts", given_on=date(2024, 7, 1))
    assert witness_disclosure(witness=witness, scope="courts", on=DAY) == Disclosure.WITHHOLD


def test_a_name_consent_recorded_by_intake_staff_shares_only_the_pseudonym_until_a_case_admin_confirms_it(
    witness, intake_worker, case_admin
):
    consent = give(witness, "courts", allows_name=True, by=intake_worker)
    assert witness_disclosure(witness=witness, scope="courts", on=DAY) == Disclosure.PSEUDONYM
    with pytest.raises(Refused):
        consent_confirm_name(consent=consent, actor=intake_worker)
    consent_confirm_name(consent=consent, actor=case_admin)
    assert witness_disclosure(witness=witness, scope="courts", on=DAY) == Disclosure.NAME


def test_a_new_consent_for_a_scope_supersedes_the_old_one_from_the_day_it_was_given(witness):
    old = give(witness, "courts", given_on=date(2024, 1, 1), allows_name=True)
    give(witness, "courts", given_on=date(2024, 5, 1), allows_name=False)
    old.refresh_from_db()
    assert old.superseded_on == date(2024, 5, 1)
    assert witness_disclosure(witness=witness, scope="courts", on=date(2024, 4, 30)) == Disclosure.NAME
    assert witness_disclosure(witness=witness, scope="courts", on=DAY) == Disclosure.PSEUDONYM
    assert Consent.objects.in_force(DAY).filter(witness=witness).count() == 1
