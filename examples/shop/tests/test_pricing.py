from shop.pricing import add_tax, apply_discount, bulk_price


def test_apply_discount():
    assert apply_discount(100.0, 10) == 90.0
    assert apply_discount(50.0, 50) == 25.0


def test_add_tax():
    assert add_tax(100.0) == 120.0
    assert add_tax(10.0, rate=0.1) == 11.0


def test_bulk_price_small_order():
    assert bulk_price(2.0, 3) == 6.0
