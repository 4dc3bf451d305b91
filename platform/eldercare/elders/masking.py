"""Personal data as lists and pages show it: enough to recognise a person, not enough to misuse."""


def mask_id_number(id_number: str | None) -> str | None:
    """'3212**********1234': region prefix and last four, as on a receipt."""
    if not id_number:
        return id_number
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def mask_name(name: str | None) -> str | None:
    """'王*英', '李*': the family name and, for three characters or more, the last one."""
    if not name or len(name) < 2:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str | None) -> str | None:
    """'138****5678'."""
    if not phone or len(phone) < 8:
        return phone
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
