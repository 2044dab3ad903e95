"""PostgreSQL array literals (what RDS exports of an array column hold) → exact JSON text.

AWS exports every PostgreSQL array as its text output (export-formats.md §2), written by
``array_out`` (https://www.postgresql.org/docs/current/arrays.html#ARRAYS-IO):

- ``{1,2,3}``; nested arrays for more dimensions ``{{1,2},{3,4}}``; ``{}`` when empty;
- an element is double-quoted when it is empty, equals ``NULL`` (any case) or holds ``{ } ,
  " \\`` or whitespace; inside quotes ``\\`` escapes the next character; an unquoted ``NULL``
  is the null element;
- a *dimension decoration* ``[0:1]={1,2}`` when a lower bound is not 1;
- the delimiter is ``,`` for every type but ``box`` (``;``).

:func:`array_json` is the parser aws2bq applies inside the warehouse (a Python function in
DuckDB, :data:`JS_FUNCTION_BODY` — the same algorithm — in BigQuery). It returns the array as
JSON text with the nesting kept, elements typed by ``kind``:

- ``int``: JSON numbers (PostgreSQL's integer output form only);
- ``float``: JSON numbers, ``NaN`` / ``Infinity`` / ``-Infinity`` as JSON strings;
- ``bool``: ``true`` / ``false`` (PostgreSQL prints ``t`` / ``f``);
- ``text`` (every other element type): JSON strings, exactly as PostgreSQL printed them;
- the null element: ``null``;
- a decorated array: ``{"lower_bounds": [0], "values": [...]}`` (nothing is lost).

It returns None for text that is not a valid literal or an element that is not of its kind,
so the caller never gets a silently different value.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from aws2bq.errors import ContractError

#: Element kinds :func:`array_json` types elements by.
KINDS = ("int", "float", "bool", "text")

_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_FLOAT_WORDS = frozenset({"NaN", "Infinity", "-Infinity"})
_BOOLS = {"t": "true", "true": "true", "f": "false", "false": "false"}
_DECORATION = re.compile(r"((?:\[-?[0-9]+:-?[0-9]+\])+)=")
_BOUND = re.compile(r"\[(-?[0-9]+):(-?[0-9]+)\]")
_SPACE = " \t\n\r\v\f"


class _Invalid(ContractError):
    pass


def _leaf(text: str, quoted: bool, kind: str) -> str:
    if not quoted and text.upper() == "NULL":
        return "null"
    if kind == "int":
        if not _INT.fullmatch(text):
            raise _Invalid(text)
        return text
    if kind == "float":
        if text in _FLOAT_WORDS:
            return orjson.dumps(text).decode()
        if not _JSON_NUMBER.fullmatch(text):
            raise _Invalid(text)
        return text
    if kind == "bool":
        if text.lower() not in _BOOLS:
            raise _Invalid(text)
        return _BOOLS[text.lower()]
    return orjson.dumps(text).decode()


def _parse(text: str, pos: int, kind: str, delimiter: str) -> tuple[str, int]:
    """The JSON of the array starting at ``text[pos] == '{'`` and the position after it."""
    if pos >= len(text) or text[pos] != "{":
        raise _Invalid(text)
    pos += 1
    parts: list[str] = []
    while True:
        while pos < len(text) and text[pos] in _SPACE:
            pos += 1
        if pos >= len(text):
            raise _Invalid(text)
        if text[pos] == "}" and not parts:
            return "[]", pos + 1
        if text[pos] == "{":
            part, pos = _parse(text, pos, kind, delimiter)
        elif text[pos] == '"':
            pos += 1
            chars: list[str] = []
            while True:
                if pos >= len(text):
                    raise _Invalid(text)
                ch = text[pos]
                if ch == "\\":
                    if pos + 1 >= len(text):
                        raise _Invalid(text)
                    chars.append(text[pos + 1])
                    pos += 2
                elif ch == '"':
                    pos += 1
                    break
                else:
                    chars.append(ch)
                    pos += 1
            part = _leaf("".join(chars), True, kind)
        else:
            chars = []
            kept = 0  # length up to the last character that is not trailing whitespace
            while pos < len(text) and text[pos] not in (delimiter, "}"):
                ch = text[pos]
                if ch in '{"':
                    raise _Invalid(text)
                if ch == "\\":
                    if pos + 1 >= len(text):
                        raise _Invalid(text)
                    chars.append(text[pos + 1])
                    kept = len(chars)
                    pos += 2
                    continue
                chars.append(ch)
                if ch not in _SPACE:
                    kept = len(chars)
                pos += 1
            if not kept:
                raise _Invalid(text)
            part = _leaf("".join(chars[:kept]), False, kind)
        parts.append(part)
        while pos < len(text) and text[pos] in _SPACE:
            pos += 1
        if pos >= len(text):
            raise _Invalid(text)
        if text[pos] == delimiter:
            pos += 1
        elif text[pos] == "}":
            return "[" + ",".join(parts) + "]", pos + 1
        else:
            raise _Invalid(text)


def array_json(text: str | None, kind: str = "text", delimiter: str = ",") -> str | None:
    """The JSON text of a PostgreSQL array literal, or None if ``text`` is not a valid one.

    Examples:
        >>> array_json('{1,NULL,3}', 'int')
        '[1,null,3]'
        >>> array_json('{"a,b",c,"NULL",NULL,"say \\\\"hi\\\\""}')
        '["a,b","c","NULL",null,"say \\\\"hi\\\\""]'
        >>> array_json('[0:1]={t,f}', 'bool')
        '{"lower_bounds":[0],"values":[true,false]}'
        >>> array_json('{{1,2},{3,4}}', 'int'), array_json('{1,x}', 'int')
        ('[[1,2],[3,4]]', None)
    """
    if text is None:
        return None
    if kind not in KINDS:
        raise ContractError(f"unknown element kind {kind!r}; one of {', '.join(KINDS)}")
    body = text.strip(_SPACE)
    bounds: list[int] = []
    decoration = _DECORATION.match(body)
    if decoration:
        bounds = [int(lo) for lo, _ in _BOUND.findall(decoration[1])]
        body = body[decoration.end() :].lstrip(_SPACE)
    try:
        values, end = _parse(body, 0, kind, delimiter)
    except _Invalid:
        return None
    if body[end:].strip(_SPACE):
        return None
    if bounds and any(b != 1 for b in bounds):
        return '{"lower_bounds":' + orjson.dumps(bounds).decode() + ',"values":' + values + "}"
    return values


def array_values(text: str, kind: str = "text") -> Any:
    """The parsed array as Python values (for tests and messages); raises on invalid text."""
    parsed = array_json(text, kind)
    if parsed is None:
        raise ContractError(f"not a PostgreSQL array literal of {kind} elements: {text!r}")
    return orjson.loads(parsed)


#: The same parser as a BigQuery JavaScript UDF body: ``(text STRING, kind STRING,
#: delimiter STRING) RETURNS STRING``. Numbers are never turned into JavaScript numbers (they
#: are validated and copied as text), so nothing is rounded.
JS_FUNCTION_BODY = r"""
if (text === null) return null;
var SPACE = ' \t\n\r\u000b\f';
var INT = /^-?(0|[1-9][0-9]*)$/;
var NUM = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
var BOOLS = {'t': 'true', 'true': 'true', 'f': 'false', 'false': 'false'};
function Invalid() {}
function leaf(s, quoted) {
  if (!quoted && s.toUpperCase() === 'NULL') return 'null';
  if (kind === 'int') { if (!INT.test(s)) throw new Invalid(); return s; }
  if (kind === 'float') {
    if (s === 'NaN' || s === 'Infinity' || s === '-Infinity') return JSON.stringify(s);
    if (!NUM.test(s)) throw new Invalid(); return s;
  }
  if (kind === 'bool') {
    var b = BOOLS[s.toLowerCase()]; if (b === undefined) throw new Invalid(); return b;
  }
  return JSON.stringify(s);
}
function parse(t, pos) {
  if (pos >= t.length || t[pos] !== '{') throw new Invalid();
  pos += 1;
  var parts = [];
  while (true) {
    while (pos < t.length && SPACE.indexOf(t[pos]) >= 0) pos += 1;
    if (pos >= t.length) throw new Invalid();
    var part;
    if (t[pos] === '}' && parts.length === 0) return ['[]', pos + 1];
    if (t[pos] === '{') {
      var r = parse(t, pos); part = r[0]; pos = r[1];
    } else if (t[pos] === '"') {
      pos += 1; var q = [];
      while (true) {
        if (pos >= t.length) throw new Invalid();
        var c = t[pos];
        if (c === '\\') {
          if (pos + 1 >= t.length) throw new Invalid();
          q.push(t[pos + 1]); pos += 2;
        } else if (c === '"') { pos += 1; break; }
        else { q.push(c); pos += 1; }
      }
      part = leaf(q.join(''), true);
    } else {
      var u = [], kept = 0;
      while (pos < t.length && t[pos] !== delimiter && t[pos] !== '}') {
        var ch = t[pos];
        if (ch === '{' || ch === '"') throw new Invalid();
        if (ch === '\\') {
          if (pos + 1 >= t.length) throw new Invalid();
          u.push(t[pos + 1]); kept = u.length; pos += 2; continue;
        }
        u.push(ch); if (SPACE.indexOf(ch) < 0) kept = u.length; pos += 1;
      }
      if (!kept) throw new Invalid();
      part = leaf(u.slice(0, kept).join(''), false);
    }
    parts.push(part);
    while (pos < t.length && SPACE.indexOf(t[pos]) >= 0) pos += 1;
    if (pos >= t.length) throw new Invalid();
    if (t[pos] === delimiter) pos += 1;
    else if (t[pos] === '}') return ['[' + parts.join(',') + ']', pos + 1];
    else throw new Invalid();
  }
}
function strip(s) {
  var a = 0, b = s.length;
  while (a < b && SPACE.indexOf(s[a]) >= 0) a += 1;
  while (b > a && SPACE.indexOf(s[b - 1]) >= 0) b -= 1;
  return s.substring(a, b);
}
var body = strip(text), bounds = [];
var deco = /^((\[-?[0-9]+:-?[0-9]+\])+)=/.exec(body);
if (deco) {
  var re = /\[(-?[0-9]+):(-?[0-9]+)\]/g, m;
  while ((m = re.exec(deco[1])) !== null) bounds.push(parseInt(m[1], 10));
  body = strip(body.substring(deco[0].length));
}
try {
  var res = parse(body, 0);
  if (strip(body.substring(res[1])) !== '') return null;
  var notOne = bounds.some(function (b) { return b !== 1; });
  if (notOne) return '{"lower_bounds":[' + bounds.join(',') + '],"values":' + res[0] + '}';
  return res[0];
} catch (e) {
  if (e instanceof Invalid) return null;
  throw e;
}
"""
