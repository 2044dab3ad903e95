"""The DuckDB stager's gzip inflate (ISA-L) reads what zlib reads, however the bytes arrive.

ISA-L cannot resume inside a member's header cut between two reads (a header CRC, or an
extra field then a name): the stager starts a member only once its header is whole. Each
case is checked at every read size from 1 byte on, against Python's own gzip module.
"""

from __future__ import annotations

import gzip
import struct
import zlib

import pytest

from aws2bq.core.progress import NullProgress
from aws2bq.warehouses.duckdb import arrow_stage

PAYLOAD = b'{"Item":{"pk":{"S":"a"},"n":{"N":"1"}}}\n' * 300

#: RFC 1952 §2.3.1 header flags.
FHCRC, FEXTRA, FNAME, FCOMMENT = 2, 4, 8, 16


def _member(flags: int, payload: bytes = PAYLOAD) -> bytes:
    """One gzip member with the optional header fields ``flags`` asks for."""
    header = b"\x1f\x8b\x08" + bytes([flags]) + b"\0\0\0\0\0\xff"
    if flags & FEXTRA:
        extra = b"AB" + struct.pack("<H", 6) + b"abcdef"
        header += struct.pack("<H", len(extra)) + extra
    if flags & FNAME:
        header += b"part-00000.json\0"
    if flags & FCOMMENT:
        header += b"an export\0"
    if flags & FHCRC:
        header += struct.pack("<H", zlib.crc32(header) & 0xFFFF)
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = deflate.compress(payload) + deflate.flush()
    return header + body + struct.pack("<II", zlib.crc32(payload), len(payload))


class _Pieces:
    """A stream whose reads return at most ``size`` bytes (as a network stream may)."""

    def __init__(self, data: bytes, size: int) -> None:
        self.data, self.size, self.at = data, size, 0

    def read(self, n: int) -> bytes:
        out = self.data[self.at : self.at + min(n, self.size)]
        self.at += len(out)
        return out


def _inflate(data: bytes, size: int) -> bytes:
    result = arrow_stage._FileResult()
    out = b"".join(arrow_stage._gunzip(_Pieces(data, size), NullProgress(), result))
    assert result.bytes == len(data)  # every byte read (the MD5 check needs the whole stream)
    return out


@pytest.mark.parametrize(
    "flags",
    [0, FHCRC, FEXTRA | FNAME, FEXTRA | FCOMMENT, FEXTRA | FNAME | FCOMMENT | FHCRC],
    ids=["plain", "hcrc", "extra+name", "extra+comment", "every field"],
)
def test_members_with_any_header_are_read_at_any_read_size(flags: int) -> None:
    data = gzip.compress(PAYLOAD) + _member(flags) + _member(flags, b"")
    assert gzip.decompress(data) == PAYLOAD * 2
    for size in (1, 2, 7, 11, 64, 1000, len(data)):
        assert _inflate(data, size) == PAYLOAD * 2, size


def test_a_cut_member_is_refused_at_any_read_size() -> None:
    data = gzip.compress(PAYLOAD) + _member(FEXTRA | FNAME | FHCRC)
    for cut in (len(data) - 3, len(data) - 40, len(gzip.compress(PAYLOAD)) + 12):
        for size in (1, 5, 1 << 20):
            with pytest.raises(arrow_stage._BadFile, match=r"truncated|not valid gzip"):
                _inflate(data[:cut], size)


def test_bytes_that_are_not_gzip_are_refused() -> None:
    with pytest.raises(arrow_stage._BadFile, match="not valid gzip"):
        _inflate(b"this is not gzip, but it is long enough to be read as a member" * 10, 1000)
