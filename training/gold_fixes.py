"""Corrections to Spider gold SQL that would otherwise teach the model a wrong habit.

Spider train compares columns with the *string* 'null' (`WHERE director != "null"`, `department_id =
"null"`) in questions about missing values. On the real databases those columns hold SQL NULLs, so the gold
answers are wrong, and a model trained on them answers "customers without a country" with
`country = 'null'`. Such comparisons become `IS NULL` / `IS NOT NULL`, which is what the questions ask.

>>> fix_null_literals('SELECT name FROM movie WHERE director != "null" GROUP BY director')
'SELECT name FROM movie WHERE director IS NOT NULL GROUP BY director'
>>> fix_null_literals("SELECT * FROM t WHERE note = 'Null value'")
"SELECT * FROM t WHERE note = 'Null value'"
"""

from __future__ import annotations

import re

_NULL_COMPARISON = re.compile(r"""\s*(=|==|!=|<>)\s*(["'])null\2""", re.IGNORECASE)


def fix_null_literals(sql: str) -> str:
    """*sql* with `= 'null'` / `!= 'null'` (either quote) turned into `IS NULL` / `IS NOT NULL`."""
    return _NULL_COMPARISON.sub(lambda m: " IS NULL" if m.group(1) in ("=", "==") else " IS NOT NULL", sql)
