"""Split a .sql document into statements with their character offsets, and spot question comments.

A ';' ends a statement unless it sits in a string, a quoted identifier, a comment, or the BEGIN ... END
body of a CREATE TRIGGER. Offsets are into the whole document so diagnostics land in the right place.

>>> [(s.start, s.text) for s in split_statements("SELECT 1;\\n-- c; d\\nSELECT ';' ;")]
[(0, 'SELECT 1'), (10, "-- c; d\\nSELECT ';'")]
>>> question_at_line("-- how many orders per country?")
'how many orders per country?'
>>> question_at_line("-- nichelm: db=./shop.sqlite") is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[^\W\d]\w*")  # unicode letters too: SQLite allows them in names
# A comment that is itself SQL (commented-out code) is not a question.
_SQLISH = re.compile(r"^\s*(select|with|insert|update|delete|create|drop|alter|pragma|from|where|join)\b.*"
                     r"(\bfrom\b|\bset\b|\btable\b|\bvalues\b|[=(*,;])", re.I)
DIRECTIVE = re.compile(r"^\s*--\s*nichelm\s*:", re.I)


@dataclass(frozen=True)
class Statement:
    text: str  # stripped of surrounding whitespace, without the final ';'
    start: int  # offset of text[0] in the document

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def split_statements(doc: str) -> list[Statement]:
    """Statements of *doc* in order; empty ones (only whitespace) are dropped. Comment-only pieces
    are kept: the caller decides (they parse to nothing)."""
    out: list[Statement] = []
    n = len(doc)
    i = 0
    begin = 0
    quote: str | None = None
    trigger_depth = 0  # > 0 inside CREATE TRIGGER ... BEGIN ... END
    in_trigger = False
    while i < n:
        ch = doc[i]
        if quote:
            if ch == quote:
                if quote != "]" and i + 1 < n and doc[i + 1] == quote:
                    i += 2
                    continue
                quote = None
            i += 1
            continue
        if ch in ("'", '"', "`"):
            quote = ch
        elif ch == "[":
            quote = "]"
        elif ch == "-" and doc.startswith("--", i):
            j = doc.find("\n", i)
            i = n if j < 0 else j
            continue
        elif ch == "/" and doc.startswith("/*", i):
            j = doc.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        elif ch.isalpha() or ch == "_":
            m = _WORD.match(doc, i)
            word = m.group(0).upper()
            if word == "TRIGGER" and _starts_with_create(doc[begin:i]):
                in_trigger = True
            elif in_trigger and word in ("BEGIN", "CASE"):
                trigger_depth += 1
            elif in_trigger and word == "END" and trigger_depth > 0:
                trigger_depth -= 1
            i = m.end()
            continue
        elif ch == ";" and trigger_depth == 0:
            _add(out, doc, begin, i)
            begin = i + 1
            in_trigger = False
        i += 1
    _add(out, doc, begin, n)
    return out


def _starts_with_create(prefix: str) -> bool:
    return bool(re.match(r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*create\b", prefix, re.I | re.S))


def _add(out: list[Statement], doc: str, start: int, end: int) -> None:
    piece = doc[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    out.append(Statement(stripped, start + lead))


def statement_at(statements: list[Statement], offset: int) -> Statement | None:
    """The statement whose span (including the ';' after it) holds *offset*."""
    for s in statements:
        if s.start <= offset <= s.end + 1:
            return s
    return None


def has_code(text: str) -> bool:
    """False when *text* holds only comments and whitespace."""
    stripped = re.sub(r"--[^\n]*|/\*.*?(\*/|$)", "", text, flags=re.S)
    return bool(stripped.strip())


def question_at_line(line: str) -> str | None:
    """The question held by a `-- ...` comment line, or None when the line is no question
    (not a comment, the nichelm directive, commented-out SQL, or fewer than two words)."""
    s = line.strip()
    if not s.startswith("--") or DIRECTIVE.match(s):
        return None
    text = s.lstrip("-").strip()
    if len(_WORD.findall(text)) < 2 or _SQLISH.match(text):
        return None
    return text
