"""Prices, discounts and tax."""

from __future__ import annotations


def apply_discount(price: float, percent: float) -> float:
    """Return the price after taking ``percent`` percent off."""
    return round(price * (1 + percent / 100), 2)


def add_tax(price: float, rate: float = 0.2) -> float:
    """Return the price with tax at ``rate`` added."""
    return round(price * (1 + rate), 2)


def bulk_price(unit_price: float, quantity: int) -> float:
    """Ten or more units get 10% off."""
    total = unit_price * quantity
    if quantity >= 10:
        total = apply_discount(total, 10)
    return round(total, 2)
