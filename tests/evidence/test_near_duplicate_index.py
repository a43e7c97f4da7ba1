"""The near-duplicate search looks up a band index instead of comparing every item of the case: it must find
exactly what comparing every item finds (the same items, the same smallest distance), right up to the
threshold, for photos (one hash) and videos (one per keyframe)."""

import random

import pytest

from casework.evidence import services
from casework.evidence.models import MediaPerceptualHash, NearDuplicate, ProcessingState
from casework.evidence.services import NEAR_DUPLICATE_MAX_DISTANCE, media_index_hashes
from tests.factories import CaseFactory, MediaItemFactory

pytestmark = pytest.mark.django_db


def flipped(value: int, bits: int, rng: random.Random) -> int:
    for bit in rng.sample(range(64), bits):
        value ^= 1 << bit
    return value


def hex64(value: int) -> str:
    return f"{value:016x}"


def item_with(case, hashes: list[int], state=ProcessingState.DONE):
    item = MediaItemFactory(case=case, perceptual_hashes=[hex64(value) for value in hashes], processing_state=state)
    media_index_hashes(item=item, hashes=item.perceptual_hashes)
    return item


def test_the_index_finds_exactly_what_comparing_every_item_finds(case):
    rng = random.Random(16)
    other_case = CaseFactory(reference="CW-ELSEWHERE")
    bases = [rng.getrandbits(64) for _ in range(6)]
    items = []
    for base in bases:
        # Around each base: copies at every distance from 0 to 14 bits, so the threshold (10) is crossed.
        for distance in range(15):
            items.append(item_with(case, [flipped(base, distance, rng)]))
        # A video: several keyframes, one of them near the base.
        items.append(item_with(case, [rng.getrandbits(64), flipped(base, 7, rng), rng.getrandbits(64)]))
        # Near, but not processed yet, or in another case: never found.
        item_with(case, [base], state=ProcessingState.PENDING)
        item_with(other_case, [base])
    # Unrelated items, and hashes whose high bits are set (stored as negative integers).
    items += [item_with(case, [rng.getrandbits(64) | (1 << 63)]) for _ in range(40)]
    items.append(item_with(case, [0xFFFF_FFFF_FFFF_FFFF]))
    items.append(item_with(case, [0xFFFF_FFFF_FFFF_FC00]))  # 10 bits from the one above

    found_some = 0
    for item in items:
        indexed = services.media_near_duplicate_distances(item=item)
        compared = services._near_duplicates_compared(item)
        assert indexed == compared, item.perceptual_hashes
        assert all(distance <= NEAR_DUPLICATE_MAX_DISTANCE for distance in indexed.values())
        found_some += len(indexed)
    assert found_some > 200, "the data set must have many near pairs"


def test_hashes_of_another_size_are_compared_the_slow_way(case):
    short = MediaItemFactory(case=case, perceptual_hashes=["ff00"], processing_state=ProcessingState.DONE)
    media_index_hashes(item=short, hashes=short.perceptual_hashes)
    near = MediaItemFactory(case=case, perceptual_hashes=["ff01"], processing_state=ProcessingState.DONE)
    assert not MediaPerceptualHash.objects.filter(item__in=[short, near]).exists()
    assert services.media_near_duplicate_distances(item=short) == {near.pk: 1}


def test_finding_records_each_pair_once_with_its_distance(case):
    first = item_with(case, [0x0123_4567_89AB_CDEF])
    second = item_with(case, [0x0123_4567_89AB_CDEE])
    services.media_find_near_duplicates(item=second)
    services.media_find_near_duplicates(item=second)  # safe to run twice
    (pair,) = NearDuplicate.objects.all()
    assert (pair.first_id, pair.second_id, pair.distance) == (first.pk, second.pk, 1)


def test_indexing_again_replaces_the_items_hashes(case):
    item = item_with(case, [1, 2])
    media_index_hashes(item=item, hashes=[hex64(3)])
    assert list(MediaPerceptualHash.objects.filter(item=item).values_list("value", flat=True)) == [3]
