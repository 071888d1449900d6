"""SQLite's keywords, built-in functions and pragmas: the fixed vocabulary the completer offers.

Kept as data so the REPL and the language server show the same words. Lists follow
https://sqlite.org/lang_keywords.html and the core/aggregate/date/math/JSON/window function pages.
"""

from __future__ import annotations

KEYWORDS: tuple[str, ...] = (
    "ABORT", "ACTION", "ADD", "AFTER", "ALL", "ALTER", "ALWAYS", "ANALYZE", "AND", "AS", "ASC", "ATTACH",
    "AUTOINCREMENT", "BEFORE", "BEGIN", "BETWEEN", "BY", "CASCADE", "CASE", "CAST", "CHECK", "COLLATE",
    "COLUMN", "COMMIT", "CONFLICT", "CONSTRAINT", "CREATE", "CROSS", "CURRENT", "CURRENT_DATE",
    "CURRENT_TIME", "CURRENT_TIMESTAMP", "DATABASE", "DEFAULT", "DEFERRABLE", "DEFERRED", "DELETE", "DESC",
    "DETACH", "DISTINCT", "DO", "DROP", "EACH", "ELSE", "END", "ESCAPE", "EXCEPT", "EXCLUDE", "EXCLUSIVE",
    "EXISTS", "EXPLAIN", "FAIL", "FILTER", "FIRST", "FOLLOWING", "FOR", "FOREIGN", "FROM", "FULL",
    "GENERATED", "GLOB", "GROUP", "GROUPS", "HAVING", "IF", "IGNORE", "IMMEDIATE", "IN", "INDEX", "INDEXED",
    "INITIALLY", "INNER", "INSERT", "INSTEAD", "INTERSECT", "INTO", "IS", "ISNULL", "JOIN", "KEY", "LAST",
    "LEFT", "LIKE", "LIMIT", "MATCH", "MATERIALIZED", "NATURAL", "NO", "NOT", "NOTHING", "NOTNULL", "NULL",
    "NULLS", "OF", "OFFSET", "ON", "OR", "ORDER", "OTHERS", "OUTER", "OVER", "PARTITION", "PLAN", "PRAGMA",
    "PRECEDING", "PRIMARY", "QUERY", "RAISE", "RANGE", "RECURSIVE", "REFERENCES", "REGEXP", "REINDEX",
    "RELEASE", "RENAME", "REPLACE", "RESTRICT", "RETURNING", "RIGHT", "ROLLBACK", "ROW", "ROWS", "SAVEPOINT",
    "SELECT", "SET", "TABLE", "TEMP", "TEMPORARY", "THEN", "TIES", "TO", "TRANSACTION", "TRIGGER",
    "UNBOUNDED", "UNION", "UNIQUE", "UPDATE", "USING", "VACUUM", "VALUES", "VIEW", "VIRTUAL", "WHEN",
    "WHERE", "WINDOW", "WITH", "WITHOUT",
)

# Words that start a statement: offered at the start of the input.
STATEMENT_KEYWORDS: tuple[str, ...] = (
    "SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "PRAGMA", "EXPLAIN",
    "VALUES", "REPLACE", "BEGIN", "COMMIT", "ROLLBACK", "ANALYZE", "VACUUM", "ATTACH", "DETACH",
    "REINDEX", "SAVEPOINT", "RELEASE",
)

# Keywords that make sense where an expression (operand) may start.
EXPRESSION_KEYWORDS: tuple[str, ...] = (
    "CASE", "CAST", "DISTINCT", "EXISTS", "NOT", "NULL", "SELECT", "CURRENT_DATE", "CURRENT_TIME",
    "CURRENT_TIMESTAMP", "TRUE", "FALSE",
)

# Keywords that may follow a finished operand inside a query (after `SELECT a `, `WHERE x = 1 `),
# most useful first: the completer keeps this order for an empty prefix.
AFTER_OPERAND_KEYWORDS: tuple[str, ...] = (
    "FROM", "AS", "AND", "OR", "WHERE", "GROUP BY", "ORDER BY", "LIMIT", "HAVING", "JOIN", "LEFT JOIN",
    "ASC", "DESC", "IS", "IS NOT", "NOT", "IN", "LIKE", "BETWEEN", "IS NULL", "IS NOT NULL", "GLOB",
    "COLLATE", "ESCAPE", "WHEN", "THEN", "ELSE", "END", "OVER", "FILTER", "NULLS", "OFFSET", "UNION",
    "UNION ALL", "INTERSECT", "EXCEPT", "WINDOW", "RETURNING", "REGEXP", "MATCH",
)

# Keywords that may follow a table (and its alias) in a FROM clause, most useful first.
AFTER_TABLE_KEYWORDS: tuple[str, ...] = (
    "WHERE", "JOIN", "LEFT JOIN", "INNER JOIN", "ON", "AS", "GROUP BY", "ORDER BY", "LIMIT", "USING",
    "CROSS JOIN", "NATURAL JOIN", "RIGHT JOIN", "FULL JOIN", "HAVING", "UNION", "UNION ALL", "EXCEPT",
    "INTERSECT", "WINDOW", "INDEXED BY", "NOT INDEXED", "RETURNING",
)

# After `INSERT INTO t`, `UPDATE t`, `ALTER TABLE t`.
AFTER_TARGET_KEYWORDS: dict[str, tuple[str, ...]] = {
    "INTO": ("VALUES", "SELECT", "DEFAULT VALUES"),
    "UPDATE": ("SET",),
    "TABLE": ("RENAME TO", "ADD COLUMN", "DROP COLUMN", "RENAME COLUMN"),
}

# Keywords that can be reserved words SQLite will not accept as bare identifiers; names equal to
# these are quoted when inserted.
RESERVED: frozenset[str] = frozenset(
    ["ADD", "ALL", "ALTER", "AND", "AS", "AUTOINCREMENT", "BETWEEN", "CASE", "CHECK", "COLLATE", "COMMIT", "CONSTRAINT", "CREATE", "DEFAULT", "DEFERRABLE", "DELETE", "DISTINCT", "DROP", "ELSE", "ESCAPE", "EXCEPT", "EXISTS", "FOREIGN", "FROM", "GROUP", "HAVING", "IF", "IN", "INDEX", "INSERT", "INTERSECT", "INTO", "IS", "ISNULL", "JOIN", "LIMIT", "NOT", "NOTHING", "NOTNULL", "NULL", "ON", "OR", "ORDER", "PRIMARY", "REFERENCES", "RETURNING", "SELECT", "SET", "TABLE", "THEN", "TO", "TRANSACTION", "UNION", "UNIQUE", "UPDATE", "USING", "VALUES", "WHEN", "WHERE"]
)

FUNCTIONS: tuple[str, ...] = (
    # core scalar
    "abs", "changes", "char", "coalesce", "concat", "concat_ws", "format", "glob", "hex", "ifnull", "iif",
    "instr", "last_insert_rowid", "length", "like", "likelihood", "likely", "lower", "ltrim", "max", "min",
    "nullif", "octet_length", "printf", "quote", "random", "randomblob", "replace", "round", "rtrim", "sign",
    "soundex", "sqlite_version", "substr", "substring", "total_changes", "trim", "typeof", "unhex",
    "unicode", "unlikely", "upper", "zeroblob",
    # aggregate
    "avg", "count", "group_concat", "string_agg", "sum", "total",
    # date and time
    "date", "time", "datetime", "julianday", "unixepoch", "strftime", "timediff",
    # math
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "ceil", "ceiling", "cos", "cosh",
    "degrees", "exp", "floor", "ln", "log", "log10", "log2", "mod", "pi", "pow", "power", "radians", "sin",
    "sinh", "sqrt", "tan", "tanh", "trunc",
    # JSON
    "json", "json_array", "json_array_length", "json_extract", "json_insert", "json_object", "json_patch",
    "json_remove", "json_replace", "json_set", "json_type", "json_valid", "json_quote", "json_group_array",
    "json_group_object", "json_each", "json_tree",
    # window
    "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead",
    "first_value", "last_value", "nth_value",
)

# Table-valued functions usable in FROM, with the columns they yield.
TABLE_FUNCTIONS: dict[str, tuple[str, ...]] = {
    "json_each": ("key", "value", "type", "atom", "id", "parent", "fullkey", "path", "json", "root"),
    "json_tree": ("key", "value", "type", "atom", "id", "parent", "fullkey", "path", "json", "root"),
    "pragma_table_info": ("cid", "name", "type", "notnull", "dflt_value", "pk"),
}

PRAGMAS: tuple[str, ...] = (
    "analysis_limit", "application_id", "auto_vacuum", "automatic_index", "busy_timeout", "cache_size",
    "cache_spill", "case_sensitive_like", "cell_size_check", "checkpoint_fullfsync", "collation_list",
    "compile_options", "data_version", "database_list", "encoding", "foreign_key_check",
    "foreign_key_list", "foreign_keys", "freelist_count", "function_list", "hard_heap_limit",
    "ignore_check_constraints", "incremental_vacuum", "index_info", "index_list", "index_xinfo",
    "integrity_check", "journal_mode", "journal_size_limit", "legacy_alter_table", "locking_mode",
    "max_page_count", "mmap_size", "module_list", "optimize", "page_count", "page_size", "pragma_list",
    "query_only", "quick_check", "read_uncommitted", "recursive_triggers", "reverse_unordered_selects",
    "schema_version", "secure_delete", "shrink_memory", "soft_heap_limit", "synchronous", "table_info",
    "table_list", "table_xinfo", "temp_store", "threads", "trusted_schema", "user_version",
    "wal_autocheckpoint", "wal_checkpoint",
)

# Pragmas whose argument is a table name: `PRAGMA table_info(|` offers tables.
TABLE_PRAGMAS: frozenset[str] = frozenset(
    {"table_info", "table_xinfo", "foreign_key_list", "index_list", "foreign_key_check"}
)
