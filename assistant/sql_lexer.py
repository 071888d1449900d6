"""A small SQLite tokenizer for editors: never fails, keeps comments, and marks unfinished strings,
quoted identifiers and comments (so a completer knows the cursor is inside one).

>>> [(t.kind, t.text) for t in tokenize("SELECT 'a''b' -- c")]
[('word', 'SELECT'), ('string', "'a''b'"), ('lcomment', '-- c')]
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<lcomment>--[^\n]*)
  | (?P<bcomment>/\*(?:.*?\*/|.*\Z))
  | (?P<string>'(?:[^']|'')*'|'(?:[^']|'')*\Z)
  | (?P<qident>"(?:[^"]|"")*"|"(?:[^"]|"")*\Z|`(?:[^`]|``)*`|`(?:[^`]|``)*\Z|\[[^\]]*\]|\[[^\]]*\Z)
  | (?P<number>0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<word>[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)
  | (?P<param>[?:@$][\w]*)
  | (?P<op>\|\||<<|>>|<=|>=|==|!=|<>|->>|->|.)
    """,
    re.DOTALL | re.VERBOSE,
)

_CLOSERS = {'"': '"', "`": "`", "[": "]"}


class Tok:
    __slots__ = ("end", "kind", "start", "text", "upper")

    def __init__(self, kind: str, text: str, start: int, end: int):
        self.kind = kind
        self.text = text
        self.start = start
        self.end = end
        self.upper = text.upper() if kind == "word" else ""

    @property
    def value(self) -> str:
        """The identifier's name: unquoted for quoted identifiers."""
        if self.kind == "qident":
            body = self.text[1:]
            closer = _CLOSERS[self.text[0]]
            if body.endswith(closer) and len(self.text) > 1:
                body = body[:-1]
            return body.replace(closer * 2, closer) if closer != "]" else body
        return self.text

    @property
    def terminated(self) -> bool:
        if self.kind == "string":
            return len(self.text) >= 2 and self.text.endswith("'") and _balanced(self.text, "'")
        if self.kind == "qident":
            c = _CLOSERS[self.text[0]]
            return len(self.text) >= 2 and self.text.endswith(c) and (c == "]" or _balanced(self.text, c))
        if self.kind == "bcomment":
            return len(self.text) >= 4 and self.text.endswith("*/")
        return True

    def __repr__(self) -> str:  # for debugging and test failure messages
        return f"Tok({self.kind},{self.text!r})"


def _balanced(text: str, q: str) -> bool:
    # A quoted token is closed when its quote characters pair up (doubled quotes are escapes).
    return text.count(q) % 2 == 0


def tokenize(text: str) -> list[Tok]:
    """All tokens of *text*, comments included, whitespace dropped."""
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "ws":
            continue
        out.append(Tok(kind, m.group(), m.start(), m.end()))
    return out
