"""Resident ID numbers: the GB 11643 checksum, real birth dates, and generated demo numbers."""
from datetime import date

import pytest

from blueprints.cases.idnumber import check_character, is_valid_id_number, make_id_number


@pytest.mark.parametrize("value, valid", [
    ("11010519491231002X", True),    # the standard's own example
    ("11010519491231002x", True),    # lower-case X accepted
    ("110105194912310021", False),   # wrong check character
    ("11010519491331002X", False),   # month 13
    ("1101051949123100", False),     # too short
    ("11010519491231002XX", False),  # too long
    ("A1010519491231002X", False),   # not digits
    ("", False),
])
def test_is_valid_id_number(value, valid):
    assert is_valid_id_number(value) is valid


def test_check_character_of_the_standard_example():
    assert check_character("11010519491231002") == "X"


@pytest.mark.parametrize("sequence", [0, 7, 123, 999])
def test_generated_numbers_are_valid(sequence):
    number = make_id_number("330102", date(1980, 2, 29), sequence)
    assert len(number) == 18 and number.startswith("33010219800229") and is_valid_id_number(number)
