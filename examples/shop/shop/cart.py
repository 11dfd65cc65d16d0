"""A shopping cart that checks stock and prices lines."""

from __future__ import annotations

from shop.inventory import Inventory
from shop.pricing import add_tax, bulk_price


class Cart:
    def __init__(self, inventory: Inventory, prices: dict[str, float]) -> None:
        self.inventory = inventory
        self.prices = prices
        self.lines: dict[str, int] = {}

    def add(self, sku: str, quantity: int = 1) -> None:
        self.inventory.take(sku, quantity)
        self.lines[sku] = self.lines.get(sku, 0) + quantity

    def subtotal(self) -> float:
        return round(sum(bulk_price(self.prices[sku], qty) for sku, qty in self.lines.items()), 2)

    def total(self) -> float:
        return add_tax(self.subtotal())
