"""The DynamoDB profile computed on Arrow batches while they are produced (no second pass).

The statistics are those of :func:`aws2bq.core.dynamodb_sql.profile_select` — per attribute,
a count per descriptor and, for ``N`` values and ``NS`` elements, :class:`NumberStats` —
computed with pyarrow's compute kernels on each parsed chunk and merged across chunks.

Only values that are *present* are evidence: an attribute missing from an item (a null
struct) or holding ``{"NULL": true}`` adds to the ``NULL`` count or to nothing, and never to
a number statistic (``qty`` = N 5, N 7 and NULL/missing is INT64, not NUMERIC).

Digit arithmetic (significant digits after applying any exponent, as
:func:`aws2bq.core.dynamodb_sql.number_parts`): ``0.0012`` → 0 integer digits and scale 4,
``1.50`` → (1, 1), ``1.5E+3`` → (4, 0). The number grammar is DynamoDB's
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import pyarrow as pa
import pyarrow.compute as pc

from aws2bq.core.dynamodb_types import DESCRIPTORS, AttributeStats, NumberStats

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

#: Plain numbers (no exponent, no "+"): the digits are counted around the point, no regex
#: extraction (most numbers in exports look like this: counters, prices, coordinates).
_PLAIN = r"^-?[0-9]+(?:\.[0-9]+)?$"
_NUMBER = r"^(?P<sign>[+-]?)(?P<i>[0-9]*)(?:\.(?P<f>[0-9]*))?(?:[eE](?P<e>[+-]?[0-9]+))?$"


@dataclass
class NumberAcc:
    """Running :class:`NumberStats` (count 0: nothing seen)."""

    count: int = 0
    max_integer_digits: int = 0
    max_scale: int = 0
    all_int64: bool = True

    def add(self, other: NumberAcc) -> None:
        if not other.count:
            return
        self.count += other.count
        self.max_integer_digits = max(self.max_integer_digits, other.max_integer_digits)
        self.max_scale = max(self.max_scale, other.max_scale)
        self.all_int64 = self.all_int64 and other.all_int64

    def stats(self) -> NumberStats | None:
        if not self.count:
            return None
        return NumberStats(self.count, self.max_integer_digits, self.max_scale, self.all_int64)


def number_parts(text: str) -> tuple[int, int, bool]:
    """(significant integer digits, scale, fits int64) of one number's text, exactly.

    The reference the vectorized :func:`number_acc` follows (and its fallback for values it
    cannot decide with kernels). Raises ``ValueError`` for text that is not a number.
    """
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {text!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not a finite number: {text!r}")
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    significant = "".join(map(str, digits)).lstrip("0")
    if not significant:
        return 0, 0, True
    trimmed = significant.rstrip("0")
    exponent += len(significant) - len(trimmed)
    point = len(trimmed) + exponent
    int_digits, scale = max(point, 0), max(-exponent, 0)
    fits = scale == 0 and INT64_MIN <= int(value) <= INT64_MAX
    return int_digits, scale, fits


def number_acc(texts: pa.Array) -> NumberAcc:
    """Statistics of the non-null number texts in ``texts`` (a string array)."""
    texts = texts.drop_null() if texts.null_count else texts
    count = len(texts)
    if not count:
        return NumberAcc()
    if pc.all(pc.match_substring_regex(texts, _PLAIN)).as_py():
        return _plain_acc(texts)
    parts = pc.extract_regex(texts, _NUMBER)
    if parts.null_count:  # not DynamoDB's grammar: the exact reference decides (or refuses)
        return _python_acc(texts)
    i = pc.utf8_ltrim(parts.field("i"), "0")
    f = pc.utf8_rtrim(parts.field("f"), "0")
    e_text = parts.field("e")
    if pc.any(pc.greater(pc.utf8_length(e_text), 6)).as_py():
        return _python_acc(texts)  # exponents beyond DynamoDB's range: no int32 overflow here
    e_text = pc.utf8_ltrim(e_text, "+")  # Arrow's integer parser takes no "+"
    e = pc.cast(pc.if_else(pc.equal(e_text, ""), "0", e_text), pa.int32())
    digits = pc.binary_join_element_wise(i, f, "")
    length = pc.utf8_length(digits)
    nonzero = pc.utf8_ltrim(digits, "0")
    all_zero = pc.equal(pc.utf8_length(nonzero), 0)
    point = pc.add(pc.utf8_length(i), e)
    leading = pc.subtract(length, pc.utf8_length(nonzero))
    int_digits = pc.if_else(all_zero, 0, pc.max_element_wise(pc.subtract(point, leading), 0))
    scale = pc.if_else(
        all_zero,
        0,
        pc.max_element_wise(pc.subtract(pc.utf8_length(pc.utf8_rtrim(digits, "0")), point), 0),
    )
    return _acc(texts, int_digits, pc.max(scale).as_py())


def _plain_acc(texts: pa.Array) -> NumberAcc:
    """:func:`number_acc` of texts all matching :data:`_PLAIN` (ASCII ``-?digits[.digits]``).

    Integer digits: the characters before the point (or all) less the leading ``-``/zeros;
    scale: the characters after the point less the trailing zeros (``-012.30`` → 2 and 1,
    ``0.0012`` → 0 and 4, ``5.00`` → 1 and 0).
    """
    point = pc.find_substring(texts, ".")
    dotted = pc.greater_equal(point, 0)
    if not pc.any(dotted).as_py():
        try:
            ints = pc.cast(texts, pa.int64())
        except pa.ArrowInvalid:
            ints = None  # beyond int64: counted below
        if ints is not None:
            low, high = (v.as_py() for v in pc.min_max(ints).values())
            biggest = max(abs(low), abs(high))
            return NumberAcc(len(texts), len(str(biggest)) if biggest else 0, 0, True)
    length = pc.binary_length(texts)
    leading = pc.subtract(length, pc.binary_length(pc.ascii_ltrim(texts, "-0")))
    int_digits = pc.max_element_wise(pc.subtract(pc.if_else(dotted, point, length), leading), 0)
    after = pc.subtract(pc.subtract(pc.binary_length(pc.ascii_rtrim(texts, "0")), point), 1)
    scale = pc.max(pc.if_else(dotted, after, 0)).as_py()
    return _acc(texts, int_digits, scale)


def _acc(texts: pa.Array, int_digits: pa.Array, max_scale: int) -> NumberAcc:
    """The :class:`NumberAcc` of ``texts`` (no nulls) given each value's integer digits."""
    max_digits = pc.max(int_digits).as_py()
    if max_scale > 0 or max_digits > 19:
        fits = False
    elif max_digits < 19:
        fits = True
    else:  # 19 integer digits: compare exactly (few values)
        wide = texts.filter(pc.equal(int_digits, 19))
        fits = all(number_parts(t)[2] for t in wide.to_pylist())
    return NumberAcc(len(texts), max_digits, max_scale, fits)


def _python_acc(texts: pa.Array) -> NumberAcc:
    acc = NumberAcc()
    for text in texts.to_pylist():
        int_digits, scale, fits = number_parts(text)
        acc.add(NumberAcc(1, int_digits, scale, fits))
    return acc


@dataclass
class AttributeAcc:
    """Running statistics of one attribute."""

    descriptors: dict[str, int] = field(default_factory=dict)
    numbers: NumberAcc = field(default_factory=NumberAcc)
    set_numbers: NumberAcc = field(default_factory=NumberAcc)

    def add(self, other: AttributeAcc) -> None:
        for d, n in other.descriptors.items():
            self.descriptors[d] = self.descriptors.get(d, 0) + n
        self.numbers.add(other.numbers)
        self.set_numbers.add(other.set_numbers)


class NotANumber(ValueError):
    """An ``N`` value or ``NS`` member whose text is not a number (``"abc"``): not DynamoDB
    JSON, whose numbers are decimal text. ``row``: the value's index in the array profiled."""

    def __init__(self, descriptor: str, text: str, row: int) -> None:
        super().__init__(f"an {descriptor} value that is not a number ({text!r})")
        self.descriptor, self.text, self.row = descriptor, text, row


def _first_not_a_number(descriptor: str, child: pa.Array) -> NotANumber:
    """The first value of ``child`` (N texts, or NS lists) that is not a number (the error
    path only: read in Python)."""
    for row, value in enumerate(child.to_pylist()):
        for text in value if isinstance(value, list) else [value]:
            if text is None:
                continue
            try:
                number_parts(text)
            except ValueError:
                return NotANumber(descriptor, text, row)
    raise AssertionError("number_acc refused texts that number_parts reads")


def value_acc(values: pa.Array) -> AttributeAcc:
    """Statistics of one attribute's staged values (a struct array of descriptors).

    A null struct (the attribute is absent from that item) contributes nothing.

    Raises:
        NotANumber: an N value or NS member is not a number.
    """
    acc = AttributeAcc()
    if not pa.types.is_struct(values.type):
        return acc
    children = values.flatten()  # parent nulls propagate: absent values stay absent
    for f, child in zip(values.type, children, strict=True):
        if f.name not in DESCRIPTORS:
            continue
        present = len(child) - child.null_count
        if f.name == "NULL" and present:
            present = pc.sum(pc.cast(child, pa.int64())).as_py() or 0  # {"NULL": true} only
        if present:
            acc.descriptors[f.name] = present
        try:
            if f.name == "N" and present:
                acc.numbers = number_acc(child)
            elif f.name == "NS" and present:
                acc.set_numbers = number_acc(pc.list_flatten(child))
        except ValueError as exc:
            raise _first_not_a_number(f.name, child) from exc
    return acc


class Profile:
    """Per-attribute statistics merged from any number of chunks (one thread at a time)."""

    def __init__(self) -> None:
        self.attributes: dict[str, AttributeAcc] = {}

    def add_columns(self, columns: Iterable[tuple[str, pa.Array]]) -> None:
        """Add one chunk: ``(attribute name, struct array of its values)`` pairs."""
        for name, values in columns:
            self.add(name, value_acc(values))

    def add(self, name: str, acc: AttributeAcc) -> None:
        mine = self.attributes.get(name)
        if mine is None:
            self.attributes[name] = acc
        else:
            mine.add(acc)

    def merge(self, other: Profile) -> None:
        for name, acc in other.attributes.items():
            self.add(name, acc)

    def result(self) -> dict[str, AttributeStats]:
        """``{attribute: AttributeStats}`` of every attribute present at least once."""
        out: dict[str, AttributeStats] = {}
        for name, acc in self.attributes.items():
            counts = {d: acc.descriptors[d] for d in DESCRIPTORS if acc.descriptors.get(d)}
            if counts:
                out[name] = AttributeStats(
                    name, counts, acc.numbers.stats(), acc.set_numbers.stats()
                )
        return dict(sorted(out.items()))


def merged(profiles: Iterable[Profile]) -> Profile:
    total = Profile()
    for p in profiles:
        total.merge(p)
    return total


def stats_of(table: pa.Table | pa.RecordBatch, names: Mapping[str, str]) -> Profile:
    """The profile of the columns of ``table`` named in ``names`` (column → attribute)."""
    profile = Profile()
    for column, attribute in names.items():
        values = table.column(column)
        if isinstance(values, pa.ChunkedArray):
            for chunk in values.chunks:
                profile.add(attribute, value_acc(chunk))
        else:
            profile.add(attribute, value_acc(values))
    return profile
