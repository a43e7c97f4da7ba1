"""Which pairs of records are worth scoring: blocking, pure functions, no database.

Comparing every record with every other is quadratic (200,000 victims: 2·10¹⁰ pairs). Two records become a
candidate pair only if they share a block: the same governorate and two name parts with the same blocking key
(names.blocking_key: spelling and script do not matter), and their dates of death are at most `window_days`
apart (each block is walked in date order with a sliding window). Two shared parts, not one: a block of
everyone called Muhammad in a governorate would be most of the pairs and few of the matches.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import combinations

from casework.incidents.linkage.names import blocking_key
from casework.incidents.linkage.scoring import PersonRecord

# Only the first parts of a long name (given, father's, grandfather's, family) make keys: enough to meet
# a shorter spelling of the same name, and a bounded number of keys per record.
KEY_PARTS = 4


def block_keys(record: PersonRecord) -> set[tuple]:
    """The blocks a record belongs to: (governorate, key, key) for each two of its first name parts; a
    one-part name: (governorate, key, "")."""
    keys = sorted({blocking_key(token) for token in record.tokens[:KEY_PARTS]})
    if len(keys) == 1:
        return {(record.governorate_id, keys[0], "")}
    return {(record.governorate_id, *pair) for pair in combinations(keys, 2)}


def candidate_pairs(records: Iterable[PersonRecord], *, window_days: int = 7) -> Iterator[tuple[int, int]]:
    """Each pair of record ids (smaller first) sharing a block, with dates at most `window_days` apart; each
    pair once. Records without a date of death pair with every record of their blocks."""
    blocks: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
    for record in records:
        if not record.tokens:
            continue
        day = record.day.toordinal() if record.day is not None else None
        for key in block_keys(record):
            blocks[key].append((day, record.id))
    seen: set[tuple[int, int]] = set()
    for members in blocks.values():
        if len(members) < 2:
            continue
        undated = [record_id for day, record_id in members if day is None]
        dated = sorted((day, record_id) for day, record_id in members if day is not None)
        start = 0
        for index, (day, record_id) in enumerate(dated):
            while dated[start][0] < day - window_days:
                start += 1
            for _other_day, other_id in dated[start:index]:
                pair = (min(record_id, other_id), max(record_id, other_id))
                if pair not in seen:
                    seen.add(pair)
                    yield pair
        for record_id in undated:
            for _day, other_id in members:
                if other_id != record_id:
                    pair = (min(record_id, other_id), max(record_id, other_id))
                    if pair not in seen:
                        seen.add(pair)
                        yield pair
