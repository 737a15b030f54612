"""Numbers read from a query string, or a posted field no form checks. Whatever a visitor
types there is treated as absent, never as a server error."""

# The largest key either database stores (SQLite INTEGER, PostgreSQL bigint): a larger
# number in a query fails in the database driver instead of finding nothing.
MAX_ID = 2**63 - 1
# Pages past this would ask the database for an offset beyond any table we keep.
MAX_PAGE = 1_000_000


def to_id(value) -> int | None:
    """A positive id in ASCII digits, else None. str.isdigit() alone is not enough: it
    accepts "²", which int() refuses, and digits of other scripts, which int() reads."""
    if not isinstance(value, str) or not (value.isascii() and value.isdigit()):
        return None
    if len(value) > len(str(MAX_ID)):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def to_page(value) -> int:
    """A page number from 1 on; anything else is the first page."""
    number = to_id(value)
    return min(number, MAX_PAGE) if number else 1


def to_search(value, max_length: int = 200) -> str:
    """Words to search for: without NUL characters, which PostgreSQL refuses in any text
    (a server error where SQLite finds nothing), and of a sensible length."""
    return (value or "").replace("\x00", "").strip()[:max_length]


PAGE = 50


def page_number(request) -> int:
    return to_page(request.GET.get("page"))
