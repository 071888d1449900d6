"""Text rendering for the REPL: result tables and highlighted SQL.

Pure string functions (colour is an argument), so they are testable and reusable by `nichelm ask`.

>>> print(result_table(["id", "name"], [(1, "Ada"), (2, None)]))
id | name
---+-----
 1 | Ada
 2 | NULL
(2 rows)
"""

from __future__ import annotations

import unicodedata

NULL = "NULL"
MAX_CELL = 40  # characters per cell before it is cut with an ellipsis


def cell_text(value) -> str:
    """How one SQLite value is shown: NULL for None, a size for blobs, floats without binary noise, one line
    for text."""
    if value is None:
        return NULL
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, float):
        # 15 significant digits: what a double holds reliably, so sums show 5291.47, not 5291.469999999999.
        return format(value, ".15g")
    text = str(value)
    # A multi-line value would break the table's rows; show the line breaks instead.
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\t", " ")


def _width(text: str) -> int:
    # East Asian wide characters take two terminal columns.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cut(text: str, limit: int) -> str:
    if _width(text) <= limit:
        return text
    out, w = [], 0
    for ch in text:
        cw = _width(ch)
        if w + cw > limit - 1:
            break
        out.append(ch)
        w += cw
    return "".join(out) + "…"


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - _width(text))
    return gap + text if right else text + gap


def result_table(columns: list[str], rows: list, *, max_rows: int = 50, truncated: bool = False,
                 elapsed_s: float | None = None, max_cell: int = MAX_CELL) -> str:
    """An aligned text table: header, separator, at most *max_rows* rows, then a count line.

    *truncated* says the query had more rows than were fetched (the count is then a lower bound).
    Numbers are right-aligned; NULL is shown as NULL.
    """
    if not columns:
        return "(no result columns)"
    shown = rows[:max_rows]
    texts = [[_cut(cell_text(v), max_cell) for v in r] for r in shown]
    heads = [_cut(str(c), max_cell) for c in columns]
    numeric = [
        bool(shown) and all(isinstance(r[i], (int, float)) and not isinstance(r[i], bool) or r[i] is None
                            for r in shown)
        for i in range(len(columns))
    ]
    widths = [max([_width(h)] + [_width(t[i]) for t in texts]) for i, h in enumerate(heads)]
    lines = [" | ".join(_pad(h, widths[i], False) for i, h in enumerate(heads)).rstrip()]
    lines.append("-+-".join("-" * w for w in widths))
    for t in texts:
        lines.append(" | ".join(_pad(v, widths[i], numeric[i]) for i, v in enumerate(t)).rstrip())
    hidden = len(rows) - len(shown)
    if hidden > 0:
        lines.append(f"… {hidden}{'+' if truncated else ''} more rows")
    elif truncated:
        lines.append("… more rows not fetched")
    n = f"{len(rows)}{'+' if truncated else ''}"
    count = f"({n} row{'' if n == '1' else 's'}"
    if elapsed_s is not None:
        count += f", {elapsed_s:.3f} s"
    lines.append(count + ")")
    return "\n".join(lines)


def replaced_note(answer: dict) -> str:
    """" (first answer replaced: why)" for an answer (the daemon's JSON) whose first SQL was replaced, else "".

    >>> replaced_note({"repaired": True, "replaced_because": "no such column: x"})
    ' (first answer replaced: no such column: x)'
    """
    if not answer.get("repaired"):
        return ""
    return f" (first answer replaced: {answer.get('replaced_because') or 'it could not be used'})"


def voted_note(answer: dict) -> str:
    """" (voted among N answers: K agree)" for an answer chosen among candidates (asked for, or drawn because the first
    answer was in doubt), else "".

    >>> voted_note({"candidates": 16, "agreement": 9})
    ' (voted among 16 answers: 9 agree)'
    >>> voted_note({"candidates": 1, "agreement": 1})
    ''
    """
    n = answer.get("candidates") or 1
    return f" (voted among {n} answers: {answer.get('agreement') or 0} agree)" if n > 1 else ""


def check_notes(answer: dict) -> list[str]:
    """What the checks found in an answer that still runs (problems of kind "check"), one line each.

    >>> check_notes({"problems": [{"kind": "check", "severity": "warning", "message": "this query may be wrong: x"}]})
    ['-- this query may be wrong: x']
    """
    return [f"-- {p['message']}" for p in answer.get("problems") or [] if p.get("kind") == "check"]


def highlight_sql(sql: str, colour: bool) -> str:
    """*sql* with ANSI colours from pygments' SqlLexer when *colour* is on."""
    if not colour:
        return sql
    from pygments import highlight
    from pygments.formatters import TerminalFormatter
    from pygments.lexers import SqlLexer

    return highlight(sql, SqlLexer(), TerminalFormatter()).rstrip("\n")


def red(text: str, colour: bool) -> str:
    return f"\x1b[31m{text}\x1b[0m" if colour else text


def yellow(text: str, colour: bool) -> str:
    return f"\x1b[33m{text}\x1b[0m" if colour else text


def dim(text: str, colour: bool) -> str:
    return f"\x1b[2m{text}\x1b[0m" if colour else text
