"""Character offsets <-> LSP positions.

LSP counts columns in UTF-16 code units by default, Python strings count code points; the two differ
only for characters outside the Basic Multilingual Plane (emoji), which do turn up in comments.

>>> t = LineIndex("ab\\n😀x\\n")
>>> t.position(4), t.offset(1, 2)
((1, 2), 4)
"""

from __future__ import annotations

import bisect


def _utf16_len(s: str) -> int:
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)


class LineIndex:
    """Line starts of one text, for fast conversions in both directions."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0]
        pos = text.find("\n")
        while pos >= 0:
            self.starts.append(pos + 1)
            pos = text.find("\n", pos + 1)

    def line_text(self, line: int) -> str:
        if line < 0 or line >= len(self.starts):
            return ""
        start = self.starts[line]
        end = self.starts[line + 1] - 1 if line + 1 < len(self.starts) else len(self.text)
        return self.text[start:end].rstrip("\r")

    def position(self, offset: int) -> tuple[int, int]:
        """(line, UTF-16 character) of a code-point *offset*, clamped into the text."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        return line, _utf16_len(self.text[start:offset])

    def offset(self, line: int, character: int) -> int:
        """Code-point offset of an LSP (line, UTF-16 character); out-of-range values are clamped,
        as the spec asks (a column past the end means the end of the line)."""
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        text = self.line_text(line)
        units = 0
        for i, ch in enumerate(text):
            if units >= character:
                return self.starts[line] + i
            units += 2 if ord(ch) > 0xFFFF else 1
        return self.starts[line] + len(text)
