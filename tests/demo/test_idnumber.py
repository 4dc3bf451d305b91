from datetime import date

from eldercare.elders import idnumber


def test_known_valid_number():
    assert idnumber.is_valid("11010519491231002X")
    assert idnumber.check_digit("11010519491231002") == "X"
    assert idnumber.birth_date_of("11010519491231002X") == date(1949, 12, 31)
    assert idnumber.gender_of("11010519491231002X") == "F"


def test_bad_numbers():
    assert not idnumber.is_valid("110105194912310021")
    assert not idnumber.is_valid("11010519491231002")
    assert not idnumber.is_valid("11010519491231002XX")
    assert not idnumber.is_valid("11010519491331002X")
