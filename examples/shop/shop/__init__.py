"""A tiny shop: inventory, pricing and a cart."""
