import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from sportello.billing.statements import StatementError, credits, parse_statement

SAMPLES = Path(__file__).parent / "statements"
WELL_FORMED = [
    "camt053_v02.xml",
    "camt053_v08_batch.xml",
    "mt940_plain.sta",
    "mt940_structured.sta",
]
MALFORMED = [
    "camt_bad_amount.xml",
    "camt_not_xml.xml",
    "mt940_bad_amount.sta",
    "mt940_missing_61_currency.sta",
    "not_a_statement.csv",
]
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def parse(name: str):
    return parse_statement(sample(name), name)


def edited(name: str, old: str, new: str, count: int = 1) -> bytes:
    data = sample(name).decode()
    assert old in data
    return data.replace(old, new, count).encode()


def error_for(data: bytes, filename: str = "") -> str:
    with pytest.raises(StatementError) as info:
        parse_statement(data, filename)
    message = str(info.value)
    assert message and "\n" not in message and "\r" not in message
    return message


def mt940(*lines: str) -> bytes:
    return "\r\n".join(lines).encode()


# CAMT.053 ------------------------------------------------------------------------------------


def test_camt_v02_statement():
    [statement] = parse("camt053_v02.xml")
    assert statement.format == "camt.053"
    assert statement.account == "IT60X0542811101000000123456"
    assert statement.statement_id == "STMT-20261121-IT60X0542811101000000123456"
    assert len(statement.entries) == 3


def test_camt_v02_amounts_are_exact_decimals():
    [statement] = parse("camt053_v02.xml")
    amounts = [entry.amount for entry in statement.entries]
    assert all(type(amount) is Decimal for amount in amounts)
    assert [str(amount) for amount in amounts] == ["150.00", "1220.00", "-49.90"]
    assert {entry.currency for entry in statement.entries} == {"EUR"}


def test_camt_v02_structured_reference_credit():
    entry = parse("camt053_v02.xml")[0].entries[0]
    assert entry.entry_id == "2026112000012345"
    assert entry.booking_date == date(2026, 11, 20)
    assert entry.value_date == date(2026, 11, 20)
    assert entry.counterparty == "Bianchi Web S.r.l."
    assert entry.reference == "RF18539007547034"
    assert entry.remittance == "RF18539007547034"


def test_camt_v02_unstructured_remittance_credit():
    entry = parse("camt053_v02.xml")[0].entries[1]
    assert entry.entry_id == "2026112100023456"
    assert entry.booking_date == date(2026, 11, 21)
    assert entry.value_date == date(2026, 11, 20)
    assert entry.counterparty == "Mario Rossi"
    assert entry.remittance == "Fattura 2026/000007 Rossi"
    assert entry.reference == ""


def test_camt_v02_debit_names_the_creditor_and_falls_back_to_a_hash_id():
    entry = parse("camt053_v02.xml")[0].entries[2]
    assert entry.amount == Decimal("-49.90")
    assert entry.counterparty == "Hetzner Online GmbH"
    assert entry.remittance == "Server R-2026-11 Kunde K123"
    assert SHA256_HEX.fullmatch(entry.entry_id)


def test_credits_keeps_only_incoming_money():
    incoming = credits(parse("camt053_v02.xml"))
    assert [entry.amount for entry in incoming] == [Decimal("150.00"), Decimal("1220.00")]


@pytest.mark.parametrize("version", ["02", "04", "08", "13"])
def test_camt_namespace_version_does_not_matter(version):
    data = edited("camt053_v02.xml", "camt.053.001.02", f"camt.053.001.{version}")
    assert parse_statement(data) == parse("camt053_v02.xml")


def test_camt_v08_batch_is_split_per_transaction():
    first, _second = parse("camt053_v08_batch.xml")
    anna, luca = first.entries[:2]
    assert (anna.entry_id, luca.entry_id) == ("BATCH-20261123-01#1", "BATCH-20261123-01#2")
    assert (anna.amount, luca.amount) == (Decimal("120.00"), Decimal("180.00"))
    assert (anna.counterparty, luca.counterparty) == ("Anna Verdi", "Luca Neri S.r.l.")
    assert anna.remittance == "Fattura 2026/000011"
    assert anna.reference == ""
    assert luca.reference == "RF69202600000012"
    # BookgDt/DtTm: the date part as the bank wrote it.
    assert anna.booking_date == luca.booking_date == date(2026, 11, 23)


def test_camt_v08_rf_reference_written_in_groups_inside_free_text():
    entry = parse("camt053_v08_batch.xml")[0].entries[2]
    assert entry.entry_id == "000328-2"
    assert entry.remittance == "Saldo RF10 SPT2 0260 0001 1 grazie"
    assert entry.reference == "RF10SPT2026000011"
    assert entry.value_date == date(2026, 11, 24)


def test_camt_pending_entries_are_left_out():
    first, _second = parse("camt053_v08_batch.xml")
    assert len(first.entries) == 3
    assert Decimal("990.00") not in [entry.amount for entry in first.entries]


def test_camt_several_statements_in_one_file():
    first, second = parse("camt053_v08_batch.xml")
    assert first.statement_id == "2026-11-23-00327"
    assert second.statement_id == "2026-11-23-00112"
    assert second.account == "IT72N0542811101000000654321"
    [fee] = second.entries
    assert (fee.amount, fee.currency) == (Decimal("-42.00"), "USD")
    assert fee.remittance == "COMMISSIONI TENUTA CONTO NOVEMBRE"


def test_camt_batch_must_add_up_to_the_entry():
    data = edited(
        "camt053_v08_batch.xml", '<Amt Ccy="EUR">180.00</Amt>', '<Amt Ccy="EUR">170.00</Amt>'
    )
    assert error_for(data) == (
        "element Stmt[1]/Ntry[1]/NtryDtls: transactions add up to 290.00 EUR,"
        " the entry is 300.00 EUR"
    )


def test_camt_bad_amount_file():
    assert error_for(sample("camt_bad_amount.xml")) == (
        "element Ntry[2]/Amt: '12,50' is not a number"
    )


def test_camt_truncated_file():
    message = error_for(sample("camt_not_xml.xml"))
    assert message.startswith("not valid XML: Premature end of data")
    assert re.search(r"\(line \d+\)$", message)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            '<Amt Ccy="EUR">49.90</Amt>',
            "<Amt>49.90</Amt>",
            "element Ntry[3]/Amt: missing Ccy attribute",
        ),
        (
            '<Amt Ccy="EUR">49.90</Amt>',
            '<Amt Ccy="EURO">49.90</Amt>',
            "element Ntry[3]/Amt: Ccy 'EURO' is not an ISO 4217 code",
        ),
        (
            '<Amt Ccy="EUR">49.90</Amt>',
            '<Amt Ccy="EUR">-49.90</Amt>',
            "element Ntry[3]/Amt: '-49.90' is negative; the sign belongs in CdtDbtInd",
        ),
        (
            "<CdtDbtInd>DBIT</CdtDbtInd>",
            "<CdtDbtInd>D</CdtDbtInd>",
            "element Ntry[3]/CdtDbtInd: 'D' is not CRDT or DBIT",
        ),
        (
            "<Dt>2026-11-20</Dt>\n        </BookgDt>",
            "<Dt>2026-11-31</Dt>\n        </BookgDt>",
            "element Ntry[1]/BookgDt/Dt: '2026-11-31' is not a date",
        ),
        (
            "<IBAN>IT60X0542811101000000123456</IBAN>",
            "",
            "element Stmt/Acct/Id: missing IBAN",
        ),
    ],
)
def test_camt_errors_name_the_element(old, new, expected):
    assert error_for(edited("camt053_v02.xml", old, new)) == expected


def test_camt_error_inside_a_batch_names_the_transaction():
    data = edited("camt053_v08_batch.xml", ">180.00<", ">18O.00<")
    assert error_for(data) == (
        "element Stmt[1]/Ntry[1]/NtryDtls/TxDtls[2]/Amt: '18O.00' is not a number"
    )


def test_camt_doctype_is_refused_without_resolving_entities():
    data = (
        b'<?xml version="1.0"?>\n'
        b'<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
        b"<BkToCstmrStmt><Stmt><Id>&xxe;</Id></Stmt></BkToCstmrStmt></Document>"
    )
    assert "DOCTYPE is refused" in error_for(data)


def test_other_iso20022_messages_are_not_statements():
    data = (
        b'<?xml version="1.0"?>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">'
        b"<BkToCstmrDbtCdtNtfctn/></Document>"
    )
    message = error_for(data)
    assert message.startswith("not a CAMT.053 or MT940 statement")
    assert "camt.054.001.08" in message


def test_oversized_file_is_refused():
    assert error_for(b"<" + b" " * (20 * 1024 * 1024)) == "file is larger than 20 MB"


# MT940 ---------------------------------------------------------------------------------------


def test_mt940_plain_statement():
    [statement] = parse("mt940_plain.sta")
    assert statement.format == "mt940"
    assert statement.account == "IT60X0542811101000000123456"
    assert statement.statement_id == "STMT261121001/00231/001"
    assert [str(entry.amount) for entry in statement.entries] == ["150.00", "1220.00", "-49.90"]
    assert all(type(entry.amount) is Decimal for entry in statement.entries)
    assert {entry.currency for entry in statement.entries} == {"EUR"}


def test_mt940_plain_entries():
    rf_payment, invoice_payment, debit = parse("mt940_plain.sta")[0].entries
    assert rf_payment.entry_id == "1120A0000001234"
    assert rf_payment.booking_date == rf_payment.value_date == date(2026, 11, 20)
    assert rf_payment.reference == "RF18539007547034"
    # The payer named in free text after the reference.
    assert rf_payment.counterparty == "BIANCHI WEB SRL"
    assert invoice_payment.counterparty == "MARIO ROSSI"
    assert invoice_payment.entry_id == "1121A0000001235"
    assert invoice_payment.remittance == (
        "BONIFICO SEPA DA MARIO ROSSI PER SALDO FATTURA 2026/000007"
    )
    assert invoice_payment.reference == ""
    assert SHA256_HEX.fullmatch(debit.entry_id)
    assert debit.counterparty == "Hetzner Online GmbH"


def test_mt940_structured_statement():
    [statement] = parse("mt940_structured.sta")
    assert statement.account == "BPMOIT22/000000123456"
    assert statement.statement_id == "MT940-270103/1/1"
    credit, debit = statement.entries
    assert credit.entry_id == "RB2701020001"
    assert credit.amount == Decimal("250.00")
    assert credit.counterparty == "STUDIO TECNICO ASSOCIATO BIANCHI E ROSSI"
    assert credit.remittance == "EREF+RF18539007547034 SVWZ+Fattura 2026/000009 cliente K0042"
    assert credit.reference == "RF18539007547034"
    # "DR": a debit in euR, not a reversal.
    assert debit.amount == Decimal("-19.99")
    assert debit.counterparty == "Associazione Provider IT"
    assert debit.remittance == "Quota associativa gennaio"


def test_mt940_entry_date_across_new_year():
    credit, debit = parse("mt940_structured.sta")[0].entries
    assert (credit.value_date, credit.booking_date) == (date(2027, 1, 2), date(2026, 12, 31))
    assert debit.booking_date == date(2027, 1, 3)

    data = mt940(
        ":20:WRAP",
        ":25:IT60X0542811101000000123456",
        ":28C:1/1",
        ":60F:C261230EUR0,00",
        ":61:2612310102C10,00NTRFNONREF//W1",
        ":61:261231C5,NTRFNONREF//W2",
        ":62F:C270102EUR15,00",
        "-",
    )
    later, undated = parse_statement(data)[0].entries
    assert (later.value_date, later.booking_date) == (date(2026, 12, 31), date(2027, 1, 2))
    assert undated.booking_date == undated.value_date == date(2026, 12, 31)
    assert undated.amount == Decimal("5")


def test_mt940_reversal_marks():
    data = mt940(
        ":20:REVERSALS",
        ":25:IT60X0542811101000000123456",
        ":28C:1/1",
        ":60F:C261120EUR100,00",
        ":61:2611211121RC30,00NTRFNONREF//R1",
        ":86:STORNO BONIFICO",
        ":61:2611211121RDR12,50NDDTNONREF//R2",
        ":86:STORNO ADDEBITO",
        ":62F:C261121EUR82,50",
        "-",
    )
    assert [entry.amount for entry in parse_statement(data)[0].entries] == [
        Decimal("-30.00"),
        Decimal("12.50"),
    ]


def test_mt940_several_messages_in_one_file():
    data = sample("mt940_plain.sta") + sample("mt940_structured.sta")
    plain, structured = parse_statement(data)
    assert plain.statement_id == "STMT261121001/00231/001"
    assert structured.statement_id == "MT940-270103/1/1"


def test_mt940_bad_amount_file():
    assert error_for(sample("mt940_bad_amount.sta")) == (
        "line 7: amount ':61:2611211121CR12,X0NTRFNONREF' is not a number"
    )


def test_mt940_entry_without_opening_balance_has_no_currency():
    message = error_for(sample("mt940_missing_61_currency.sta"))
    assert message.startswith("line 4: entry ':61:2611201120CR150,00NTRFNONREF//1120A0000001234'")
    assert "no :60F:/:60M: opening balance" in message


def test_mt940_truncated_file_is_refused():
    lines = sample("mt940_plain.sta").decode().splitlines()[:9]
    message = error_for("\r\n".join(lines).encode())
    assert message == "line 9: statement ends without a :62F:/:62M: closing balance"


def test_mt940_balances_must_agree_with_the_entries():
    data = edited("mt940_plain.sta", ":62F:C261121EUR6750,22", ":62F:C261121EUR6750,20")
    assert error_for(data) == (
        "line 12: closing balance ':62F:C261121EUR6750,20' is not the opening balance plus"
        " entries (6750.22 EUR)"
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            ":61:2611211121CR1220,00",
            ":61:2611311131CR1220,00",
            "line 7: value date ':61:2611311131CR1220,00NTRFFT2026000007//1121A0000001235'"
            " is not a date",
        ),
        (
            ":61:2611211121CR1220,00",
            ":61:2611211121XR1220,00",
            "line 7: debit/credit mark ':61:2611211121XR1220,00NTRFFT2026000007//1121A0000001235'"
            " is not C, D, RC or RD",
        ),
        (
            ":61:2611211121CR1220,00",
            ":61:2611211121CR1220.00",
            "line 7: amount ':61:2611211121CR1220.00NTRFFT2026000007//1121A0000001235'"
            " is not a number",
        ),
        (
            ":60F:C261120EUR5430,12",
            ":60F:C261120EU5430,12",
            "line 4: opening balance ':60F:C261120EU5430,12' is malformed",
        ),
    ],
)
def test_mt940_errors_name_the_line(old, new, expected):
    assert error_for(edited("mt940_plain.sta", old, new)) == expected


def test_mt940_text_outside_a_message():
    data = sample("mt940_plain.sta") + b"Fine estratto conto\r\n"
    assert error_for(data) == "line 14: expected a field like ':20:', found 'Fine estratto conto'"


# Both formats --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", WELL_FORMED)
def test_entry_ids_are_stable_and_unique(name):
    first = [entry.entry_id for statement in parse(name) for entry in statement.entries]
    second = [
        entry.entry_id for statement in parse_statement(sample(name)) for entry in statement.entries
    ]
    assert first == second
    assert len(set(first)) == len(first)


def test_hash_ids_ignore_trailing_zeros_but_not_content():
    original = parse("camt053_v02.xml")[0].entries[2].entry_id
    fewer_zeros = edited("camt053_v02.xml", ">49.90<", ">49.9<", count=2)
    assert parse_statement(fewer_zeros)[0].entries[2].entry_id == original
    other_text = edited("camt053_v02.xml", "Kunde K123", "Kunde K124")
    assert parse_statement(other_text)[0].entries[2].entry_id != original


def test_identical_unreferenced_payments_keep_distinct_ids():
    debit = (
        ":61:2611211121DR49,90NDDTNONREF\r\n"
        ":86:ADDEBITO SDD CORE /NAME/Hetzner Online GmbH/ MANDATO HZ-K123-2024\r\n"
    )
    data = edited("mt940_plain.sta", ":62F:C261121EUR6750,22", f"{debit}:62F:C261121EUR6700,32")
    entries = parse_statement(data)[0].entries
    assert entries[3].entry_id == f"{entries[2].entry_id}-2"


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_files_raise_a_one_line_error(name):
    error_for(sample(name), name)


def test_non_statement_file():
    message = error_for(sample("not_a_statement.csv"), "not_a_statement.csv")
    assert message == "not a CAMT.053 or MT940 statement (not_a_statement.csv)"
    assert "not a CAMT.053 or MT940 statement" in error_for(b"")


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("PAGAMENTO RF18 5390 0754 7034 SNC", "RF18539007547034"),
        ("Rif.:RF18539007547034, grazie", "RF18539007547034"),
        ("RF18 5390 0754 7035 wrong check digits", ""),
        ("PERFORMANCE RF 18", ""),
    ],
)
def test_rf_reference_found_in_unstructured_text(text, reference):
    data = edited("camt053_v02.xml", "Fattura 2026/000007 Rossi", text)
    assert parse_statement(data)[0].entries[1].reference == reference


def test_mt940_indented_first_field():
    data = b"  " + sample("mt940_plain.sta")
    assert parse_statement(data) == parse("mt940_plain.sta")
