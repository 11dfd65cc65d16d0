from shop.cart import Cart
from shop.inventory import Inventory


def make_cart():
    inv = Inventory()
    inv.add("apple", 20)
    inv.add("pear", 5)
    return Cart(inv, {"apple": 1.0, "pear": 2.5})


def test_cart_total_with_tax():
    cart = make_cart()
    cart.add("pear", 2)
    assert cart.total() == 6.0


def test_cart_bulk_discount():
    cart = make_cart()
    cart.add("apple", 10)
    assert cart.subtotal() == 9.0
