"""Chinese resident ID numbers (GB 11643-1999): checksum validation and, for demo data, generation."""
from __future__ import annotations

from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"


def check_character(first17: str) -> str:
    """The 18th character that the first 17 digits call for."""
    return CHECK_CHARACTERS[sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS)) % 11]


def is_valid_id_number(value: str) -> bool:
    """18 characters, 17 digits, a real birth date, and the right check character."""
    value = value.strip().upper()
    if len(value) != 18 or not (value[:17].isascii() and value[:17].isdigit()):
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return born.year >= 1900 and check_character(value[:17]) == value[17]


def make_id_number(region: str, born: date, sequence: int) -> str:
    """A checksum-valid ID number for demo data (region: 6 digits, sequence: 0–999)."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)
