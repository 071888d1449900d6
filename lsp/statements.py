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
                     r"(\bfrom\b|\bset\b|\btable\b|\bvalues\b|[=(*,;])", re.IGNORECASE)
DIRECTIVE = re.compile(r"^\s*--\s*nichelm\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class Statement:
    text: str  # stripped of surrounding whitespace, without the final ';'
    start: int  # offset of text[0] in the document

    @property
    def end(self) -> int:
        return self.start + len(self.text)


# What matters for splitting, found by one C-level regex scan: quoted text (possibly unterminated),
# comments, ';' and the words that open/close a trigger body. Everything else is skipped.
_TOKEN = re.compile(
    r"'[^']*(?:''[^']*)*'?"
    r'|"[^"]*(?:""[^"]*)*"?'
    r"|`[^`]*(?:``[^`]*)*`?"
    r"|\[[^\]]*\]?"
    r"|--[^\n]*"
    r"|/\*.*?(?:\*/|\Z)"
    r"|;"
    r"|(?<![\w$])(?:trigger|begin|case|end)(?![\w$])",
    re.IGNORECASE | re.DOTALL,
)


def split_statements(doc: str) -> list[Statement]:
    """Statements of *doc* in order; empty ones (only whitespace) are dropped. Comment-only pieces
    are kept: the caller decides (they parse to nothing)."""
    out: list[Statement] = []
    begin = 0
    trigger_depth = 0  # > 0 inside CREATE TRIGGER ... BEGIN ... END
    in_trigger = False
    for m in _TOKEN.finditer(doc):
        tok = m.group(0)
        first = tok[0]
        if first == ";":
            if trigger_depth == 0:
                _add(out, doc, begin, m.start())
                begin = m.end()
                in_trigger = False
        elif first in "'\"`[" or tok.startswith(("--", "/*")):
            continue
        else:
            word = tok.upper()
            if word == "TRIGGER" and _starts_with_create(doc[begin:m.start()]):
                in_trigger = True
            elif in_trigger and word in ("BEGIN", "CASE"):
                trigger_depth += 1
            elif in_trigger and word == "END" and trigger_depth > 0:
                trigger_depth -= 1
    _add(out, doc, begin, len(doc))
    return out


def _starts_with_create(prefix: str) -> bool:
    return bool(re.match(r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*create\b", prefix, re.IGNORECASE | re.DOTALL))


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
    stripped = re.sub(r"--[^\n]*|/\*.*?(\*/|$)", "", text, flags=re.DOTALL)
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
