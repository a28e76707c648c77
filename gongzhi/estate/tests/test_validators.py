import pytest

from gongzhi.estate.validators import (
    HouseRef,
    InvalidValue,
    parse_house_ref,
    parse_id_number,
    parse_mobile,
    parse_plate,
)


@pytest.mark.parametrize("raw", ["13812341234", " 138 1234 1234 ", "+8613812341234", "１３８１２３４１２３４"])
def test_mobile_normalised(raw):
    assert parse_mobile(raw) == "13812341234"


@pytest.mark.parametrize("raw", ["12812341234", "1381234123", "138123412345", "abc", ""])
def test_mobile_rejected(raw):
    with pytest.raises(InvalidValue):
        parse_mobile(raw)


def test_id_number_checksum():
    # GB 11643 sample: 11010519491231002X
    assert parse_id_number("11010519491231002x") == "11010519491231002X"
    with pytest.raises(InvalidValue):
        parse_id_number("110105194912310021")  # wrong check digit
    with pytest.raises(InvalidValue):
        parse_id_number("110105194902300026")  # 30 February
    assert parse_id_number("e1234 5678", "passport") == "E12345678"


@pytest.mark.parametrize(("raw", "plate", "kind"), [
    ("京A12345", "京A12345", "ordinary"),
    ("京a·12345", "京A12345", "ordinary"),
    ("沪AD12345", "沪AD12345", "new_energy"),
    ("粤B12345F", "粤B12345F", "new_energy"),
    ("苏E1234学", "苏E1234学", "ordinary"),
])
def test_plates(raw, plate, kind):
    assert parse_plate(raw) == (plate, kind)


@pytest.mark.parametrize("raw", ["京A1234", "京A123456", "AA12345", "京AI2345", "沪AD123456"])
def test_bad_plates(raw):
    with pytest.raises(InvalidValue):
        parse_plate(raw)


@pytest.mark.parametrize("raw", ["3-2-1502", "3栋2单元1502", "3号楼2单元1502室", "３－２－１５０２", "3幢 2单元 1502"])
def test_house_refs(raw):
    assert parse_house_ref(raw) == HouseRef("3", "2", "1502")


def test_not_a_house_ref():
    assert parse_house_ref("张伟") is None
