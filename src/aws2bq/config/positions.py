"""Where each key of a TOML document is written: key path → 1-based line number.

``tomllib`` parses but reports no positions, so this scanner walks the text once more and
records the line of every key, table header, array-of-tables entry, array element and inline
table key. It relies on ``tomllib`` having accepted the text already (it is lenient, not a
validator) and understands everything TOML 1.0 allows: ``[a."b.c"]`` headers, ``[[a]]``
arrays of tables (including nested ones), dotted keys, quoted keys with escapes, inline
tables, multi-line arrays and strings, and comments.

Examples:
    >>> key_lines('[streams.orders]\\nmode = "merge"\\n')[("streams", "orders", "mode")]
    2
"""

from __future__ import annotations

from collections.abc import Iterable

KeyPath = tuple[str | int, ...]

_BARE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line = 1
        self.lines: dict[KeyPath, int] = {}
        # Arrays of tables: concrete path of the array → number of entries so far.
        self.aot: dict[KeyPath, int] = {}

    # -- low level ---------------------------------------------------------------------------
    def peek(self, n: int = 1) -> str:
        return self.text[self.i : self.i + n]

    def advance(self, n: int = 1) -> None:
        chunk = self.text[self.i : self.i + n]
        self.line += chunk.count("\n")
        self.i += n

    def at_end(self) -> bool:
        return self.i >= len(self.text)

    def skip_inline_space(self) -> None:
        while not self.at_end() and self.text[self.i] in " \t":
            self.i += 1

    def skip_comment(self) -> None:
        if self.peek() == "#":
            while not self.at_end() and self.text[self.i] != "\n":
                self.i += 1

    def skip_space_newlines_comments(self) -> None:
        while not self.at_end():
            ch = self.text[self.i]
            if ch in " \t\r":
                self.i += 1
            elif ch == "\n":
                self.advance()
            elif ch == "#":
                self.skip_comment()
            else:
                return

    def skip_to_line_end(self) -> None:
        while not self.at_end() and self.text[self.i] != "\n":
            self.i += 1

    def record(self, path: KeyPath, line: int, *, overwrite: bool = True) -> None:
        if overwrite or path not in self.lines:
            self.lines[path] = line

    # -- keys --------------------------------------------------------------------------------
    def key_part(self) -> str:
        ch = self.peek()
        if ch == '"':
            return self.basic_string()
        if ch == "'":
            self.advance()
            end = self.text.index("'", self.i)
            value = self.text[self.i : end]
            self.advance(end - self.i + 1)
            return value
        start = self.i
        while not self.at_end() and self.text[self.i] in _BARE:
            self.i += 1
        return self.text[start : self.i]

    def dotted_key(self) -> list[str]:
        parts = []
        while True:
            self.skip_inline_space()
            parts.append(self.key_part())
            self.skip_inline_space()
            if self.peek() == ".":
                self.advance()
                continue
            return parts

    def basic_string(self) -> str:
        self.advance()  # opening quote
        out: list[str] = []
        while not self.at_end():
            ch = self.text[self.i]
            if ch == "\\":
                nxt = self.text[self.i + 1]
                if nxt in _ESCAPES:
                    out.append(_ESCAPES[nxt])
                    self.i += 2
                elif nxt in "uU":
                    width = 4 if nxt == "u" else 8
                    out.append(chr(int(self.text[self.i + 2 : self.i + 2 + width], 16)))
                    self.i += 2 + width
                else:
                    self.i += 2
            elif ch == '"':
                self.i += 1
                break
            else:
                out.append(ch)
                self.i += 1
        return "".join(out)

    # -- values ------------------------------------------------------------------------------
    def value(self, path: KeyPath) -> None:
        ch = self.peek()
        if self.peek(3) in ('"""', "'''"):
            self.multiline_string(self.peek(3))
        elif ch == '"':
            self.basic_string()
        elif ch == "'":
            self.advance()
            self.i = self.text.index("'", self.i) + 1
        elif ch == "[":
            self.array(path)
        elif ch == "{":
            self.inline_table(path)
        else:
            while not self.at_end() and self.text[self.i] not in ",]}\n#":
                self.i += 1

    def multiline_string(self, delimiter: str) -> None:
        self.advance(3)
        while not self.at_end():
            if delimiter == '"""' and self.peek() == "\\":
                self.advance(2)
                continue
            if self.peek(3) == delimiter:
                self.advance(3)
                # Up to two quotes right before the closing delimiter belong to the string.
                extra = 0
                while extra < 2 and self.peek() == delimiter[0]:
                    self.advance()
                    extra += 1
                return
            self.advance()

    def array(self, path: KeyPath) -> None:
        self.advance()  # [
        index = 0
        while True:
            self.skip_space_newlines_comments()
            if self.at_end() or self.peek() == "]":
                self.advance()
                return
            self.record((*path, index), self.line)
            self.value((*path, index))
            index += 1
            self.skip_space_newlines_comments()
            if self.peek() == ",":
                self.advance()

    def inline_table(self, path: KeyPath) -> None:
        self.advance()  # {
        while True:
            self.skip_space_newlines_comments()
            if self.at_end() or self.peek() == "}":
                self.advance()
                return
            line = self.line
            keys = self.dotted_key()
            self.record_key(path, keys, line)
            self.skip_inline_space()
            self.advance()  # =
            self.skip_inline_space()
            self.value((*path, *keys))
            self.skip_space_newlines_comments()
            if self.peek() == ",":
                self.advance()

    def record_key(self, base: KeyPath, keys: list[str], line: int) -> None:
        for n in range(1, len(keys)):
            self.record((*base, *keys[:n]), line, overwrite=False)
        self.record((*base, *keys), line)

    # -- tables ------------------------------------------------------------------------------
    def resolve(self, keys: list[str], *, new_array_entry: bool) -> KeyPath:
        concrete: KeyPath = ()
        for n, key in enumerate(keys):
            concrete = (*concrete, key)
            last = n == len(keys) - 1
            if last and new_array_entry:
                count = self.aot.get(concrete, 0)
                self.aot[concrete] = count + 1
                self.record(concrete, self.line, overwrite=False)
                concrete = (*concrete, count)
            elif concrete in self.aot:
                concrete = (*concrete, self.aot[concrete] - 1)
        return concrete

    def document(self) -> dict[KeyPath, int]:
        table: KeyPath = ()
        while True:
            self.skip_space_newlines_comments()
            if self.at_end():
                return self.lines
            line = self.line
            if self.peek(2) == "[[":
                self.advance(2)
                keys = self.dotted_key()
                self.advance(2)  # ]]
                table = self.resolve(keys, new_array_entry=True)
                self.record(table, line)
                self._record_parents(table, line)
            elif self.peek() == "[":
                self.advance()
                keys = self.dotted_key()
                self.advance()  # ]
                table = self.resolve(keys, new_array_entry=False)
                self.record(table, line)
                self._record_parents(table, line)
            else:
                keys = self.dotted_key()
                self.record_key(table, keys, line)
                self.skip_inline_space()
                self.advance()  # =
                self.skip_inline_space()
                self.value((*table, *keys))
            self.skip_inline_space()
            self.skip_comment()
            self.skip_to_line_end()

    def _record_parents(self, path: KeyPath, line: int) -> None:
        for n in range(1, len(path)):
            self.record(path[:n], line, overwrite=False)


def key_lines(text: str) -> dict[KeyPath, int]:
    """Map every key path written in ``text`` (a valid TOML document) to its line number.

    Array-of-tables entries and array elements appear with their integer index, e.g.
    ``("streams", 0, "mode")`` for ``mode`` in the first ``[[streams]]``.
    """
    return _Scanner(text).document()


def line_of(lines: dict[KeyPath, int], path: Iterable[str | int]) -> tuple[int, KeyPath] | None:
    """The line of the longest prefix of ``path`` that is written in the document.

    Returns ``(line, prefix)`` or ``None`` when not even the first key is written (a value
    that only comes from a default).
    """
    full = tuple(path)
    for n in range(len(full), 0, -1):
        if full[:n] in lines:
            return lines[full[:n]], full[:n]
    return None
