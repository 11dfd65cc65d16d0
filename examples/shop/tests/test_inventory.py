import pytest

from shop.inventory import Inventory, OutOfStock


def test_add_and_take():
    inv = Inventory()
    inv.add("apple", 5)
    inv.take("apple", 2)
    assert inv.available("apple") == 3


def test_take_too_many():
    inv = Inventory()
    inv.add("pear", 1)
    with pytest.raises(OutOfStock):
        inv.take("pear", 2)


def test_add_rejects_non_positive():
    with pytest.raises(ValueError):
        Inventory().add("plum", 0)
