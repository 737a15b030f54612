"""ISO 11649 structured creditor references ("RF" references) for bank transfers."""

from stdnum import iso11649


def rf_reference(invoice_id: int) -> str:
    body = f"{invoice_id:09d}"
    # Check digits: 98 minus (body + "RF00", letters as numbers) mod 97.
    digits = "".join(str(int(c, 36)) for c in body + "RF00")
    check = 98 - int(digits) % 97
    reference = f"RF{check:02d}{body}"
    return iso11649.validate(reference)


def invoice_id_from_reference(reference: str) -> int | None:
    try:
        reference = iso11649.validate(reference)
    except Exception:
        return None
    body = reference[4:]
    return int(body) if body.isdigit() else None
