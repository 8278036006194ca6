"""Values typed into URLs and forms by anyone: read them here, once, so that no
odd value (a superscript digit, a 30-digit id, a NUL byte) reaches int() or the
database and turns into a server error."""

import string

ASCII_DIGITS = frozenset(string.digits)
# A database id or a year fits a PostgreSQL bigint many times over.
MAX_ID = 2**53


def parse_int(value, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """`value` as an int when it is ASCII digits (surrounding spaces allowed) in
    [low, high]; None otherwise (absent, "²", "１２", "-1", "1e3", too long).
    str.isdigit() is not enough: it accepts "²", which int() refuses."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > len(str(high)) or not set(value) <= ASCII_DIGITS:
        return None
    number = int(value)
    return number if low <= number <= high else None


def clean_text(value, *, max_length: int) -> str:
    """A search box's text without NUL and other control characters (PostgreSQL
    refuses NUL in a query), trimmed and at most `max_length` characters."""
    if not isinstance(value, str):
        return ""
    kept = "".join(character for character in value if character.isprintable())
    return kept.strip()[:max_length]
