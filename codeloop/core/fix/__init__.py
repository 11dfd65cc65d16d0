"""The repair loop: localize, generate candidates by tier, validate, select."""
