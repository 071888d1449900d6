"""Completion items for a cursor in a .sql document.

What fits at the cursor (keyword, table, column of `o.`, ...) is decided by the shared, pure cursor
analysis in nichelm.assistant.completion, the same code the REPL uses; this module only cuts out the
statement under the cursor (so a 10 000-line file costs no more than one query) and maps the shared
suggestions onto LSP completion items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lsprotocol import types as t

from .statements import split_statements

# Statement splitting is linear in the document; for huge documents only look this far back.
MAX_CONTEXT_CHARS = 20_000
# A 200-table schema offers thousands of columns before FROM is typed; the client asks again as the
# user types (isIncomplete), so the first few hundred best-ranked are enough.
MAX_ITEMS = 300


@dataclass(frozen=True)
class Item:
    label: str
    kind: str  # "keyword" | "function" | "table" | "column" | "alias" | ...
    detail: str = ""
    insert: str | None = None  # text to insert when it differs from the label
    sort: str = ""
    replace_start: int = 0  # document offset where the replaced word starts


def statement_context(doc: str, offset: int) -> tuple[str, int, int]:
    """(text of the statement holding *offset*, the cursor inside it, its start offset in *doc*).
    The statement runs to the next ';' so the analysis can also see what follows the cursor
    (e.g. FROM after a half-written SELECT list)."""
    lo = max(0, offset - MAX_CONTEXT_CHARS)
    window = doc[lo: offset + MAX_CONTEXT_CHARS]
    cur = offset - lo
    start, end = 0, len(window)
    for st in split_statements(window):
        if st.start <= cur <= st.end + 1:
            start, end = st.start, st.end
            break
        if st.start > cur:
            end = st.start
            break
        start = st.end + 1
    start = min(start, cur)
    end = max(end, cur)
    return window[start:end], cur - start, lo + start


def complete(doc: str, offset: int, schema, *, limit: int = MAX_ITEMS) -> tuple[list[Item], bool]:
    """(items at *offset*, whether the list was cut at *limit*); *schema* is a nichelm Schema or None."""
    from nichelm.assistant import completion

    text, cursor, base = statement_context(doc, offset)
    suggestions = completion.complete(text, cursor, schema, limit=limit + 1)
    items = [
        Item(label=s.label, kind=s.kind, detail=s.detail or "", insert=s.insert_text, sort=f"{i:05d}",
             replace_start=base + max(0, min(s.start, cursor)))
        for i, s in enumerate(suggestions[:limit])
    ]
    return items, len(suggestions) > limit


KINDS = {
    "keyword": t.CompletionItemKind.Keyword,
    "function": t.CompletionItemKind.Function,
    "table": t.CompletionItemKind.Class,
    "view": t.CompletionItemKind.Interface,
    "column": t.CompletionItemKind.Field,
    "alias": t.CompletionItemKind.Variable,
    "pragma": t.CompletionItemKind.Property,
    "snippet": t.CompletionItemKind.Snippet,
    "join": t.CompletionItemKind.Snippet,
}


def payload(found: list[Item], rng: dict, cut: bool, default_range: bool) -> dict:
    """The CompletionList as plain JSON-ready dicts: this is the hot path (hundreds of items per
    keystroke on a big schema) and building attrs objects that are serialised straight back to
    dicts cost more than the completion analysis itself."""
    items = []
    for it in found:
        item = {"label": it.label, "kind": int(KINDS.get(it.kind, t.CompletionItemKind.Text)), "sortText": it.sort}
        if it.detail:
            item["detail"] = it.detail
        insert = it.insert or it.label
        if default_range:
            if insert != it.label:
                item["textEditText"] = insert
        else:
            item["textEdit"] = {"range": rng, "newText": insert}
            if insert != it.label:
                item["filterText"] = insert
        items.append(item)
    out: dict[str, Any] = {"isIncomplete": cut, "items": items}
    if default_range:
        out["itemDefaults"] = {"editRange": rng}
    return out


def supports_default_edit_range(caps: t.ClientCapabilities) -> bool:
    """True when the client takes itemDefaults.editRange (one range for all items)."""
    td = caps.text_document
    cl = td.completion.completion_list if td and td.completion else None
    return bool(cl and cl.item_defaults and "editRange" in cl.item_defaults)
