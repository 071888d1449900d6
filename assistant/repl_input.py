"""How the REPL reads a line: meta command, SQL or an English question, and when input is finished.

Pure functions over text, shared by the prompt-toolkit key bindings and the plain (piped stdin) loop.

>>> classify("select * from t;"), classify("how many orders?"), classify(".tables"), classify("? select best")
('sql', 'question', 'meta', 'question')
>>> input_complete("SELECT *\\nFROM t"), input_complete("SELECT * FROM t;"), input_complete("how many?")
(False, True, True)
"""

from __future__ import annotations

import sqlite3

from .sql_lexer import tokenize

# A line whose first word is one of these runs as SQL; anything else is a question for the model.
SQL_STARTS = frozenset({
    "SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "PRAGMA", "EXPLAIN",
    "VALUES", "REPLACE", "BEGIN", "COMMIT", "END", "ROLLBACK", "ANALYZE", "VACUUM", "ATTACH", "DETACH",
    "REINDEX", "SAVEPOINT", "RELEASE",
})
QUESTION_MARK = "?"  # `? select the best customers` forces a question that starts with a SQL word


def _first_word(text: str) -> str:
    for tok in tokenize(text):
        if tok.kind in ("lcomment", "bcomment"):
            continue
        return tok.upper if tok.kind == "word" else tok.text
    return ""


def classify(text: str) -> str:
    """'empty', 'meta' (a dot command), 'sql' or 'question'."""
    s = text.strip()
    if not s:
        return "empty"
    if s.startswith("."):
        return "meta"
    if s.startswith(QUESTION_MARK):
        return "question"
    if s.startswith(("--", "/*")):
        word = _first_word(s)
        return "sql" if word in SQL_STARTS or not word else "question"
    if _first_word(s) in SQL_STARTS:
        return "sql"
    # A line ending in `;` is SQL with a typo (`SELEC 1;`) far more often than a question: let SQLite
    # say what is wrong rather than send it to the model.
    return "sql" if s.endswith(";") else "question"


def question_text(text: str) -> str:
    s = text.strip()
    return s[1:].strip() if s.startswith(QUESTION_MARK) else s


def input_complete(text: str) -> bool:
    """Whether Enter should submit *text*: questions and meta commands are one line; SQL goes on until
    a `;` ends the statement, or until Enter on an empty line (a blank line submits what is there)."""
    kind = classify(text)
    if kind != "sql":
        return True
    if sqlite3.complete_statement(text):
        return True
    lines = text.split("\n")
    return len(lines) > 1 and not lines[-1].strip()


def split_statements(sql: str) -> list[str]:
    """The statements of *sql*, split at top-level `;` (not inside strings, identifiers or comments)."""
    out, start = [], 0
    for tok in tokenize(sql):
        if tok.kind == "op" and tok.text == ";":
            out.append(sql[start:tok.start])
            start = tok.end
    out.append(sql[start:])
    return [s.strip() for s in out if _has_code(s)]


def _has_code(text: str) -> bool:
    return any(t.kind not in ("lcomment", "bcomment") for t in tokenize(text))
