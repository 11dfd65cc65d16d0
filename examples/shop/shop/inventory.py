"""Stock levels per product."""

from __future__ import annotations


class OutOfStock(Exception):
    pass


class Inventory:
    def __init__(self) -> None:
        self._stock: dict[str, int] = {}

    def add(self, sku: str, quantity: int) -> None:
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        self._stock[sku] = self._stock.get(sku, 0) + quantity

    def available(self, sku: str) -> int:
        return self._stock.get(sku, 0)

    def take(self, sku: str, quantity: int) -> None:
        if self.available(sku) < quantity:
            raise OutOfStock(sku)
        self._stock[sku] -= quantity
