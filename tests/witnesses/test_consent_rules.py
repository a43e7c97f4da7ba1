"""Consent decides what of a witness may be shared, per scope and per day."""

from datetime import date

import pytest

from casework.witnesses.consent import Disclosure, witness_disclosure
from casework.witnesses.models import Consent
from tests.factories import WitnessFactory

pytestmark = pytest.mark.django_db
DAY = date(2024, 6, 1)


@pytest.fixture
def witness(case):
    return WitnessFactory(case=case)


def give(witness, scope, *, given_on=date(2024, 1, 1), withdrawn_on=None, allows_name=False):
    return Consent.objects.create(
        witness=witness,
        scope=scope,
        given_on=given_on,
        withdrawn_on=withdrawn_on,
        allows_name=allows_name,
        method="written",
    )


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
