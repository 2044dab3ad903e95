# The compiled JSON scanner (_json_scan.c; its header comment is the reference).
from typing_extensions import Buffer

#: One node of the spec: (kind, child node indices, struct field names as UTF-8).
_Node = tuple[int, tuple[int, ...], tuple[bytes, ...]]
#: One node's result: (slots, nulls, validity bitmap, values, string data).
_Result = tuple[int, int, bytes | None, bytes | None, bytes | None]

def scan(data: Buffer, spec: list[_Node], /) -> tuple[int, list[_Result]] | None: ...
