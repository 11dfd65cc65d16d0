"""Model backends behind one small protocol (see base.Backend)."""
