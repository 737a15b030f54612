"""Bank statement parsing: ISO 20022 CAMT.053 (XML) and SWIFT MT940 (text).

Pure functions over bytes with no database access, so an import can be parsed and previewed
before anything is booked. A file either parses completely or raises StatementError.
"""

import dataclasses
import hashlib
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeAlias

from lxml import etree
from stdnum import iso11649

# lxml ships no type information: its elements are untyped here.
Element: TypeAlias = etree._Element

MAX_BYTES = 20 * 1024 * 1024
NOT_A_STATEMENT = "not a CAMT.053 or MT940 statement"

_WHITESPACE = re.compile(r"\s+")
# Placeholders banks put where a reference field is mandatory but they have none.
_NO_REFERENCE = {"", "NONE", "NONREF", "NOTPROVIDED"}


class StatementError(ValueError):
    """A file that is not a valid statement; str(error) is one line saying what and where
    is wrong, e.g. "line 7: amount ':61:2611211121CR12,X0NTRFNONREF' is not a number" or
    "element Ntry[3]/Amt: missing Ccy attribute"."""


@dataclass(frozen=True)
class StatementEntry:
    entry_id: str
    booking_date: date
    value_date: date | None
    amount: Decimal
    currency: str
    counterparty: str
    remittance: str
    reference: str


@dataclass(frozen=True)
class Statement:
    format: str
    account: str
    statement_id: str
    entries: list[StatementEntry]


def parse_statement(data: bytes, filename: str = "") -> list[Statement]:
    """Detect CAMT.053 (XML, any camt.053.001.xx namespace version; BkToCstmrStmt/Stmt, possibly
    several Stmt) or MT940 (text starting with ':20:' possibly after a {1:...}{4: header) and
    parse it. Raises StatementError for anything malformed or unrecognised; never returns
    partial data."""
    if len(data) > MAX_BYTES:
        raise StatementError(f"file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if data.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<"):
        return _parse_camt(data)
    text = _decode(data)
    if text.lstrip().startswith((":20:", "{1:")):
        return _parse_mt940(text)
    raise StatementError(f"{NOT_A_STATEMENT} ({filename})" if filename else NOT_A_STATEMENT)


def credits(statements: list[Statement]) -> list[StatementEntry]:
    return [entry for statement in statements for entry in statement.entries if entry.amount > 0]


def _clean(text: str | None) -> str:
    return _WHITESPACE.sub(" ", text or "").strip()


def _quote(value: str) -> str:
    # Values end up inside one-line error messages shown to staff.
    value = _clean(value)
    if len(value) > 80:
        value = value[:77] + "..."
    return f"'{value}'"


def _bank_reference(*candidates: str) -> str:
    return next((c for c in candidates if c.upper() not in _NO_REFERENCE), "")


def _fallback_id(
    account: str,
    booking_date: date,
    amount: Decimal,
    currency: str,
    remittance: str,
    counterparty: str,
) -> str:
    # Normalised because banks vary trailing zeros between exports of the same movement.
    canonical_amount = format(amount.normalize(), "f")
    key = "\x1f".join(
        [account, booking_date.isoformat(), canonical_amount, currency, remittance, counterparty]
    )
    return hashlib.sha256(key.encode()).hexdigest()


def _unique_ids(entries: list[StatementEntry]) -> list[StatementEntry]:
    # Two identical unreferenced payments on one day (or a bank repeating a reference) must not
    # collapse into one when imports are de-duplicated; file order keeps the suffixes stable.
    seen: dict[str, int] = {}
    unique = []
    for entry in entries:
        count = seen[entry.entry_id] = seen.get(entry.entry_id, 0) + 1
        if count > 1:
            entry = dataclasses.replace(entry, entry_id=f"{entry.entry_id}-{count}")
        unique.append(entry)
    return unique


_RF_WORD = re.compile(r"(?<![0-9A-Za-z])RF\d{2}[0-9A-Z]*$")
_RF_GROUP = re.compile(r"[0-9A-Z]{1,4}")
_PUNCTUATION = ".,;:()[]'\""


def _find_rf_reference(text: str) -> str:
    """The first ISO 11649 reference in free text, written compact or in groups of four."""
    words = [word.strip(_PUNCTUATION) for word in text.split()]
    for index, word in enumerate(words):
        match = _RF_WORD.search(word)
        if not match:
            continue
        candidates = [match.group()]
        for group in words[index + 1 :]:
            if not _RF_GROUP.fullmatch(group) or len(candidates[-1]) + len(group) > 25:
                break
            candidates.append(candidates[-1] + group)
        # Once spaces are gone the reference's end is ambiguous ("RF18 5390 7034 SRL"); the
        # check digits tell which run of groups really belongs to it.
        for candidate in reversed(candidates):
            if len(candidate) > 4 and iso11649.is_valid(candidate):
                return candidate
    return ""


# CAMT.053 --------------------------------------------------------------------------------------

_CAMT053_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d{2}")
_CAMT_AMOUNT = re.compile(r"\d+(\.\d+)?")
_XML_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})([TZ+-].*)?")


def _parse_camt(data: bytes) -> list[Statement]:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        message = re.sub(r", line \d+, column \d+$", "", exc.msg or "syntax error")
        # Some lxml messages end with their own "line N": said once, at the end.
        message = re.sub(r"\s*\bline \d+$", "", _clean(message))
        raise StatementError(f"not valid XML: {message} (line {exc.lineno})") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise StatementError("XML with a DOCTYPE is refused: bank statements never declare one")

    name = etree.QName(root)
    namespace = name.namespace or ""
    if name.localname != "Document" or not _CAMT053_NAMESPACE.fullmatch(namespace):
        raise StatementError(
            f"{NOT_A_STATEMENT}: XML root is <{name.localname}> in namespace {_quote(namespace)}"
        )
    # Dropping the version-specific namespace lets one set of paths read 001.02 to 001.13.
    for element in list(root.iter(f"{{{namespace}}}*")):
        element.tag = etree.QName(element).localname

    stmts = root.findall("BkToCstmrStmt/Stmt")
    if not stmts:
        raise StatementError("element BkToCstmrStmt/Stmt: missing")
    if len(stmts) == 1:
        return [_camt_statement(stmts[0], "Stmt", "")]
    return [
        _camt_statement(stmt, f"Stmt[{index}]", f"Stmt[{index}]/")
        for index, stmt in enumerate(stmts, 1)
    ]


def _camt_statement(stmt: Element, stmt_path: str, entry_prefix: str) -> Statement:
    statement_id = _text(stmt, "Id")
    if not statement_id:
        raise StatementError(f"element {stmt_path}/Id: missing")
    account = _text(stmt, "Acct/Id/IBAN") or _text(stmt, "Acct/Id/Othr/Id")
    if not account:
        raise StatementError(f"element {stmt_path}/Acct/Id: missing IBAN")
    entries = []
    for index, ntry in enumerate(stmt.findall("Ntry"), 1):
        entries.extend(_camt_entries(ntry, f"{entry_prefix}Ntry[{index}]", account))
    return Statement("camt.053", account, statement_id, _unique_ids(entries))


def _camt_entries(ntry: Element, path: str, account: str) -> list[StatementEntry]:
    status = _text(ntry, "Sts/Cd") or _text(ntry, "Sts")
    if status and status != "BOOK":
        # Pending and informational entries can still be cancelled; they come back once booked.
        return []
    amount, currency = _camt_amount(ntry, "Amt", path)
    entry_sign = _camt_sign(ntry, path)
    signed = entry_sign * amount
    booking_date = _camt_date(ntry, "BookgDt", path)
    if booking_date is None:
        raise StatementError(f"element {path}/BookgDt: missing")
    value_date = _camt_date(ntry, "ValDt", path)
    bank_reference = _bank_reference(_text(ntry, "AcctSvcrRef"), _text(ntry, "NtryRef"))
    transactions = ntry.findall("NtryDtls/TxDtls")

    def entry(entry_id: str, amount: Decimal, details: tuple[str, str, str]) -> StatementEntry:
        counterparty, remittance, reference = details
        return StatementEntry(
            entry_id=entry_id,
            booking_date=booking_date,
            value_date=value_date,
            amount=amount,
            currency=currency,
            counterparty=counterparty,
            remittance=remittance,
            reference=reference,
        )

    first = transactions[0] if transactions else None
    details = _camt_details(first, ntry, entry_sign > 0)
    counterparty, remittance, _reference = details
    entry_id = bank_reference or _fallback_id(
        account, booking_date, signed, currency, remittance, counterparty
    )
    if len(transactions) < 2 or not all(_camt_tx_amount_path(tx) for tx in transactions):
        return [entry(entry_id, signed, details)]

    parts: list[tuple[Element, Decimal, Decimal]] = []
    for index, tx in enumerate(transactions, 1):
        tx_path = f"{path}/NtryDtls/TxDtls[{index}]"
        amount_path = _camt_tx_amount_path(tx)
        tx_amount, tx_currency = _camt_amount(tx, amount_path, tx_path)
        if tx_currency != currency:
            raise StatementError(
                f"element {tx_path}/{amount_path}: currency {tx_currency} differs from the"
                f" entry's {currency}"
            )
        sign = _camt_sign(tx, tx_path) if tx.find("CdtDbtInd") is not None else entry_sign
        parts.append((tx, sign, sign * tx_amount))
    total = sum(part for _, _, part in parts)
    if total != signed:
        raise StatementError(
            f"element {path}/NtryDtls: transactions add up to {total} {currency},"
            f" the entry is {signed} {currency}"
        )
    return [
        entry(f"{entry_id}#{index}", part, _camt_details(tx, ntry, sign > 0))
        for index, (tx, sign, part) in enumerate(parts, 1)
    ]


def _camt_tx_amount_path(tx: Element) -> str:
    for path in ("Amt", "AmtDtls/TxAmt/Amt"):
        if tx.find(path) is not None:
            return path
    return ""


def _camt_details(tx: Element | None, ntry: Element, is_credit: bool) -> tuple[str, str, str]:
    """Counterparty, remittance text and structured reference of one transaction."""
    counterparty = remittance = reference = ""
    if tx is not None:
        party = "Dbtr" if is_credit else "Cdtr"
        counterparty = _text(tx, f"RltdPties/{party}/Nm") or _text(tx, f"RltdPties/{party}/Pty/Nm")
        unstructured = [_clean(ustrd.text) for ustrd in tx.findall("RmtInf/Ustrd")]
        references = [
            _clean(ref.text).replace(" ", "") for ref in tx.findall("RmtInf/Strd/CdtrRefInf/Ref")
        ]
        references = [ref for ref in references if ref]
        remittance = " ".join(text for text in unstructured + references if text)
        reference = references[0] if references else ""
    # Some banks only describe the movement at entry level.
    remittance = remittance or _text(ntry, "AddtlNtryInf")
    return counterparty, remittance, reference or _find_rf_reference(remittance)


def _text(parent: Element, path: str) -> str:
    element = parent.find(path)
    return _clean(element.text) if element is not None else ""


def _camt_amount(parent: Element, path: str, where: str) -> tuple[Decimal, str]:
    element = parent.find(path)
    where = f"element {where}/{path}"
    if element is None:
        raise StatementError(f"{where}: missing")
    text = (element.text or "").strip()
    if text.startswith("-") and _CAMT_AMOUNT.fullmatch(text[1:]):
        raise StatementError(f"{where}: {_quote(text)} is negative; the sign belongs in CdtDbtInd")
    if not _CAMT_AMOUNT.fullmatch(text):
        raise StatementError(f"{where}: {_quote(text)} is not a number")
    currency = element.get("Ccy")
    if currency is None:
        raise StatementError(f"{where}: missing Ccy attribute")
    if not re.fullmatch(r"[A-Za-z]{3}", currency.strip()):
        raise StatementError(f"{where}: Ccy {_quote(currency)} is not an ISO 4217 code")
    return Decimal(text), currency.strip().upper()


def _camt_sign(parent: Element, where: str) -> Decimal:
    indicator = _text(parent, "CdtDbtInd")
    if indicator == "CRDT":
        return Decimal(1)
    if indicator == "DBIT":
        return Decimal(-1)
    problem = f"{_quote(indicator)} is not CRDT or DBIT" if indicator else "missing"
    raise StatementError(f"element {where}/CdtDbtInd: {problem}")


def _camt_date(parent: Element, path: str, where: str) -> date | None:
    container = parent.find(path)
    if container is None:
        return None
    for child in ("Dt", "DtTm"):
        element = container.find(child)
        if element is None:
            continue
        text = (element.text or "").strip()
        match = _XML_DATE.fullmatch(text)
        parsed = _iso_date(match.group(1)) if match else None
        if parsed is None:
            raise StatementError(f"element {where}/{path}/{child}: {_quote(text)} is not a date")
        return parsed
    raise StatementError(f"element {where}/{path}: missing Dt or DtTm")


def _iso_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


# MT940 -----------------------------------------------------------------------------------------

_TAG = re.compile(r":(\d{2}[A-Z]?|NS):")
_LINE_SPLIT = re.compile(r"\r\n|\r|\n")
_BALANCE = re.compile(r"([CD])(\d{6})([A-Z]{3})(\d+(?:,\d*)?)")
_MT940_AMOUNT = re.compile(r"\d+(,\d*)?")
_ENTRY_START = re.compile(r"(?P<value>\d{6})(?P<entry>\d{4})?(?P<mark>RC|RD|C|D)(?P<funds>[A-Z])?")
_TRANSACTION_TYPE = re.compile(r"[NSF][A-Z0-9]{3}")
_SIGNS = {"C": 1, "D": -1, "RC": -1, "RD": 1}  # a reversed credit takes money back
_STRUCTURED_86 = re.compile(r"(\d{3})?\?\d{2}")
_PURPOSE_CODES = [str(code) for code in (*range(20, 30), *range(60, 64))]
_SUBFIELD_WIDTH = 27


@dataclass
class _Field:
    tag: str
    line: int
    lines: list[str]

    @property
    def content(self) -> str:
        return self.lines[0].strip()

    @property
    def text(self) -> str:
        return f":{self.tag}:{self.content}"


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Non-UTF-8 MT940 comes from Windows banking software; a wrong byte in a name is
        # better than refusing the statement.
        return data.decode("cp1252", errors="replace")


def _parse_mt940(text: str) -> list[Statement]:
    messages = _split_messages(text)
    if not messages:
        raise StatementError(f"{NOT_A_STATEMENT}: no MT940 message found")
    return [_mt940_statement(fields, end_line) for fields, end_line in messages]


def _split_messages(text: str) -> list[tuple[list[_Field], int]]:
    messages: list[tuple[list[_Field], int]] = []
    fields: list[_Field] = []
    in_header = False
    number = 0
    for number, line in enumerate(_LINE_SPLIT.split(text), 1):
        if in_header:
            if "{4:" not in line:
                continue
            in_header = False
            line = line.split("{4:", 1)[1]
        elif line.startswith("{1:"):
            if fields:
                messages.append((fields, number - 1))
                fields = []
            if "{4:" not in line:
                in_header = True
                continue
            line = line.split("{4:", 1)[1]
        elif line.startswith("{"):
            continue  # trailer blocks ({5:{CHK:...}}) carry nothing a statement needs
        stripped = line.strip()
        if stripped in ("-", "-}") or stripped.startswith("-}"):
            if fields:
                messages.append((fields, number))
                fields = []
            continue
        if not stripped:
            continue
        if not fields:
            # Indentation before the first field is an export artefact; later on a leading
            # space belongs to wrapped :86: text.
            line = line.lstrip()
        match = _TAG.match(line)
        if match:
            fields.append(_Field(match.group(1), number, [line[match.end() :]]))
        elif fields:
            fields[-1].lines.append(line)
        else:
            raise StatementError(
                f"line {number}: expected a field like ':20:', found {_quote(line)}"
            )
    if fields:
        messages.append((fields, number))
    return messages


def _mt940_statement(fields: list[_Field], end_line: int) -> Statement:
    first: dict[str, _Field] = {}
    for field in fields:
        first.setdefault(field.tag, field)
    reference, account = first.get("20"), first.get("25")
    sequence = first.get("28C") or first.get("28")
    opening = first.get("60F") or first.get("60M")
    closing = first.get("62F") or first.get("62M")
    entry_fields = [(index, field) for index, field in enumerate(fields) if field.tag == "61"]
    start = fields[0].line
    if reference is None or not reference.content:
        raise StatementError(f"line {start}: statement has no :20: reference")
    if account is None or not account.content:
        raise StatementError(f"line {start}: statement has no :25: account")
    if opening is None:
        if entry_fields:
            field = entry_fields[0][1]
            raise StatementError(
                f"line {field.line}: entry {_quote(field.text)} has no currency:"
                " no :60F:/:60M: opening balance"
            )
        raise StatementError(f"line {start}: statement has no :60F:/:60M: opening balance")
    if closing is None:
        raise StatementError(
            f"line {end_line}: statement ends without a :62F:/:62M: closing balance"
        )
    currency, opening_balance = _mt940_balance(opening, "opening balance")
    closing_currency, closing_balance = _mt940_balance(closing, "closing balance")
    if closing_currency != currency:
        raise StatementError(
            f"line {closing.line}: closing balance {_quote(closing.text)} is not in {currency}"
        )

    entries = []
    for index, field in entry_fields:
        following = fields[index + 1] if index + 1 < len(fields) else None
        details = following if following is not None and following.tag == "86" else None
        entries.append(_mt940_entry(field, details, account.content, currency))
    # A statement cut short still parses line by line; only the balances reveal it.
    expected = opening_balance + sum(entry.amount for entry in entries)
    if closing_balance != expected:
        raise StatementError(
            f"line {closing.line}: closing balance {_quote(closing.text)} is not the opening"
            f" balance plus entries ({expected} {currency})"
        )
    statement_id = reference.content
    if sequence is not None and sequence.content:
        statement_id = f"{statement_id}/{sequence.content}"
    return Statement("mt940", account.content, statement_id, _unique_ids(entries))


def _mt940_balance(field: _Field, what: str) -> tuple[str, Decimal]:
    match = _BALANCE.fullmatch(field.content)
    if not match or _yymmdd(match.group(2)) is None:
        raise StatementError(f"line {field.line}: {what} {_quote(field.text)} is malformed")
    sign = 1 if match.group(1) == "C" else -1
    return match.group(3), sign * _mt940_amount(match.group(4))


def _mt940_amount(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def _yymmdd(text: str) -> date | None:
    try:
        return date(2000 + int(text[:2]), int(text[2:4]), int(text[4:6]))
    except ValueError:
        return None


def _booking_date(value_date: date, mmdd: str) -> date | None:
    # The entry date has no year; the candidate closest to the value date handles statements
    # that straddle New Year (value 2 Jan, booked 31 Dec, or the other way round).
    candidates = []
    for year in (value_date.year - 1, value_date.year, value_date.year + 1):
        try:
            candidates.append(date(year, int(mmdd[:2]), int(mmdd[2:])))
        except ValueError:
            continue
    return min(candidates, key=lambda day: abs(day - value_date), default=None)


def _mt940_entry(
    field: _Field, details: _Field | None, account: str, currency: str
) -> StatementEntry:
    def fail(problem: str) -> StatementError:
        return StatementError(f"line {field.line}: {problem}")

    quoted = _quote(field.text)
    content = field.content
    head = _ENTRY_START.match(content)
    if not head:
        if not re.match(r"\d{6}", content):
            raise fail(f"value date {quoted} is not a date")
        raise fail(f"debit/credit mark {quoted} is not C, D, RC or RD")
    value_date = _yymmdd(head.group("value"))
    if value_date is None:
        raise fail(f"value date {quoted} is not a date")
    booking_date = value_date
    if head.group("entry"):
        entry_date = _booking_date(value_date, head.group("entry"))
        if entry_date is None:
            raise fail(f"entry date {quoted} is not a date")
        booking_date = entry_date
    rest = content[head.end() :]
    transaction_type = _TRANSACTION_TYPE.search(rest)
    if not transaction_type:
        raise fail(f"transaction type {quoted} is missing")
    amount_text = rest[: transaction_type.start()]
    if not _MT940_AMOUNT.fullmatch(amount_text):
        raise fail(f"amount {quoted} is not a number")
    amount = _SIGNS[head.group("mark")] * _mt940_amount(amount_text)
    _customer_reference, _, bank_reference = rest[transaction_type.end() :].partition("//")

    remittance, counterparty = _mt940_details(details) if details else ("", "")
    # The fallback id keeps the name the tagged fields gave, so a statement imported before
    # the payer was read from free text is still recognised; the payer shown may come from
    # the text.
    entry_id = _bank_reference(bank_reference.strip()) or _fallback_id(
        account, booking_date, amount, currency, remittance, counterparty
    )
    if not counterparty and details is not None:
        counterparty = _payer_in_text(details.lines, remittance)
    return StatementEntry(
        entry_id=entry_id,
        booking_date=booking_date,
        value_date=value_date,
        amount=amount,
        currency=currency,
        counterparty=counterparty,
        remittance=remittance,
        reference=_find_rf_reference(remittance),
    )


def _mt940_details(field: _Field) -> tuple[str, str]:
    """Remittance text and counterparty name from an :86: field."""
    # Structured :86: is wrapped at a fixed width with no regard for subfields or words, so
    # its lines are glued back together before splitting on the ?NN markers.
    joined = "".join(field.lines)
    if _STRUCTURED_86.match(joined):
        parts = re.split(r"\?(\d{2})", joined)
        subfields: dict[str, list[str]] = {}
        for code, value in zip(parts[1::2], parts[2::2], strict=True):
            subfields.setdefault(code, []).append(value)
        purpose = [value for code in _PURPOSE_CODES for value in subfields.get(code, [])]
        name = subfields.get("32", []) + subfields.get("33", [])
        return _join_wrapped(purpose), _join_wrapped(name)
    text = _clean(" ".join(field.lines))
    name_match = re.search(r"/NAME/([^/]+)", text)
    return text, _clean(name_match.group(1)) if name_match else ""


# Unstructured :86: text of Italian and Spanish banks names the payer in words: "BONIFICO
# SEPA DA MARIO ROSSI", "ORDINANTE: ...", "TRANSFERENCIA DE ...", or after the reference.
_PAYER_AFTER_WORD = re.compile(
    r"\b(?:ORDINANTE|ORDENANTE|ORDERING PARTY|ORD\.)\s*:?\s*(?P<name>.+)"
    r"|\b(?:BONIFICO|BON\.|GIROCONTO|TRANSFERENCIA|TRANSFER|SEPA)\b.*?\b(?:DA|DE|FROM)\s+(?P<after>.+)",
    re.IGNORECASE,
)
_PAYER_END = re.compile(
    r"\s+(?:PER|CAUSALE|RIF\.?|RIFERIMENTO|POR|CONCEPTO|FOR|REF\.?|FATT\.?|FATTURA|FACTURA)\b.*$"
    r"|\s*[/?].*$",
    re.IGNORECASE,
)


def _payer_in_text(lines: list[str], remittance: str) -> str:
    """The payer's name written in free :86: text, or "" when the text does not say."""
    first = _clean(lines[0]) if lines else ""
    candidates = []
    match = _PAYER_AFTER_WORD.search(first)
    if match:
        candidates.append(match.group("name") or match.group("after"))
    reference = _find_rf_reference(remittance)
    if reference:
        # Whatever follows the reference on its line, the reference written with or
        # without spaces between its groups.
        pattern = r"\s?".join(re.escape(char) for char in reference)
        after = re.search(pattern + r"\s+(?P<name>.+)$", first, re.IGNORECASE)
        if after:
            candidates.append(after.group("name"))
    for candidate in candidates:
        name = _clean(_PAYER_END.sub("", candidate)).strip(_PUNCTUATION + " ")
        if 3 <= len(name) <= 140 and re.search(r"[^\W\d_]{2}", name):
            return name
    return ""


def _join_wrapped(parts: list[str]) -> str:
    # A subfield filled to its width was cut mid-text by the bank; a shorter one ended a word.
    text = ""
    previous = ""
    for part in parts:
        separator = "" if not text or len(previous) >= _SUBFIELD_WIDTH else " "
        text += separator + part
        previous = part
    return _clean(text)
