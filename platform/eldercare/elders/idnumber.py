"""Chinese resident ID numbers (GB 11643-1999): check digit, validity, birth date and gender."""
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


def ascii_digits(text: str) -> bool:
    """Only 0-9: str.isdigit() (and int()) take any script's digits, and a full-width number is another string
    for the same person, which the unique ID number would not catch."""
    return text.isascii() and text.isdigit()


def check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if len(first17) != 17 or not ascii_digits(first17):
        raise ValueError("need exactly 17 digits")
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def birth_date_of(id_number: str) -> date:
    """The birth date embedded in an 18-digit ID number; raises ValueError if it is no real date."""
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def gender_of(id_number: str) -> str:
    """'M' if the sequence's last digit is odd, else 'F'."""
    return "M" if int(id_number[16]) % 2 else "F"


def is_valid(id_number: str) -> bool:
    """True for 18 characters with a real birth date and a matching check character (X upper-case)."""
    if not isinstance(id_number, str) or len(id_number) != 18 or not ascii_digits(id_number[:17]):
        return False
    try:
        birth_date_of(id_number)
    except ValueError:
        return False
    return check_digit(id_number[:17]) == id_number[17]
