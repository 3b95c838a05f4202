"""``quote(value)``: a value from a file or a user, cut short for an error message.

A checkpoint's key, a storage's name or a header entry can be megabytes long (a damaged or
hostile file); an error that quotes it whole is a megabyte of terminal output. Every message
that quotes such a value goes through ``quote``: ``repr`` of at most `limit` characters, then
``...`` and the full length.
"""


def quote(value, limit=200):
    """``repr(value)``, cut to `limit` characters (+ how long it was) when longer."""
    if isinstance(value, (str, bytes)) and len(value) > limit:
        return f"{repr(value[:limit])[:limit]}... ({len(value)} characters)"
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def quote_list(values, few=3, limit=200):
    """``['a', 'b', 'c'] and 9 more``: the start of a long list, each item quoted."""
    values = list(values)
    shown = "[" + ", ".join(quote(v, limit) for v in values[:few]) + "]"
    return shown if len(values) <= few else f"{shown} and {len(values) - few} more"
