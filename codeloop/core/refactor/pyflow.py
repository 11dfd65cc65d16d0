"""Definite assignment over Python statements: which names are surely bound at a point.

``flow(statements, bound)`` walks statements in order, starting from the names surely
bound before them, and returns the reads that may see a value from *before* the
statements (``exposed``) plus the names surely bound after them (``None`` when no path
falls through: every path returns, raises, breaks or continues). It is conservative:
a loop body may not run, a try body may stop at any line, a walrus in an expression
may not execute, so none of those count as sure bindings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from codeloop.core.refactor.pyscope import DEL, LOAD, STORE, Occurrence, occurrences, target_names

Bound = frozenset[str] | None  # None: control never falls through


def meet(a: Bound, b: Bound) -> Bound:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


@dataclass
class Flow:
    exposed: list[Occurrence] = field(default_factory=list)

    def simple(self, nodes: list[Any], bound: frozenset[str]) -> frozenset[str]:
        current = set(bound)
        for occ in occurrences(nodes):
            if occ.kind == LOAD and occ.name not in current:
                self.exposed.append(occ)
            elif occ.kind == STORE and occ.definite and not occ.nested:
                current.add(occ.name)
            elif occ.kind == DEL:
                if occ.name not in current:
                    self.exposed.append(occ)  # ``del x`` needs x bound, like a read
                current.discard(occ.name)
        return frozenset(current)

    def block(self, statements: list[Any], bound: Bound) -> Bound:
        for stmt in statements:
            if bound is None:  # unreachable: its reads can never see a value
                return None
            bound = self.statement(stmt, bound)
        return bound

    def body(self, node: Any, bound: Bound) -> Bound:
        if node is None:
            return bound
        return self.block([c for c in node.named_children if c.type != "comment"], bound)

    def statement(self, stmt: Any, bound: frozenset[str]) -> Bound:
        kind = stmt.type
        if kind in ("return_statement", "raise_statement", "break_statement", "continue_statement"):
            self.simple([stmt], bound)
            return None
        if kind == "if_statement":
            return self._if(stmt, bound)
        if kind in ("for_statement", "while_statement"):
            return self._loop(stmt, bound)
        if kind == "try_statement":
            return self._try(stmt, bound)
        if kind == "with_statement":
            clause = next(c for c in stmt.named_children if c.type == "with_clause")
            return self.body(stmt.child_by_field_name("body"), self.simple([clause], bound))
        if kind == "comment":
            return bound
        return self.simple([stmt], bound)

    def _if(self, stmt: Any, bound: frozenset[str]) -> Bound:
        bound = self.simple([stmt.child_by_field_name("condition")], bound)
        result: Bound = self.body(stmt.child_by_field_name("consequence"), bound)
        has_else = False
        for clause in stmt.children_by_field_name("alternative"):
            if clause.type == "elif_clause":
                cond = self.simple([clause.child_by_field_name("condition")], bound)
                result = meet(result, self.body(clause.child_by_field_name("consequence"), cond))
            else:
                has_else = True
                result = meet(result, self.body(clause.child_by_field_name("body"), bound))
        return result if has_else else meet(result, bound)

    def _loop(self, stmt: Any, bound: frozenset[str]) -> Bound:
        if stmt.type == "for_statement":
            inner = self.simple([stmt.child_by_field_name("right")], bound)
            targets = target_names(stmt.child_by_field_name("left"))
            self.body(stmt.child_by_field_name("body"), inner | targets)
        else:
            inner = self.simple([stmt.child_by_field_name("condition")], bound)
            self.body(stmt.child_by_field_name("body"), inner)
        alternative = stmt.child_by_field_name("alternative")
        if alternative is not None:
            self.body(alternative.child_by_field_name("body"), inner)
        return inner  # the body may run zero times; a break may skip the else

    def _try(self, stmt: Any, bound: frozenset[str]) -> Bound:
        result = self.body(stmt.child_by_field_name("body"), bound)
        handlers = [c for c in stmt.named_children if c.type == "except_clause" or c.type == "except_group_clause"]
        for clause in stmt.named_children:
            if clause.type == "else_clause":
                result = self.body(clause.child_by_field_name("body"), result) if result is not None else None
        for handler in handlers:
            result = meet(result, self._handler(handler, bound))
        for clause in stmt.named_children:
            if clause.type == "finally_clause":
                body = next(c for c in clause.named_children if c.type == "block")
                after = self.body(body, bound)
                if after is None or result is None:
                    return None if after is None else result
                return result | after
        return result

    def _handler(self, handler: Any, bound: frozenset[str]) -> Bound:
        alias: set[str] = set()
        block = None
        for child in handler.named_children:
            if child.type == "block":
                block = child
            else:
                before = {o.name for o in occurrences([child]) if o.kind == STORE}
                self.simple([child], bound)
                alias |= before
        after = self.body(block, bound | alias)
        return None if after is None else after - alias  # Python unbinds ``except ... as e`` at the end


def flow(statements: list[Any], bound: frozenset[str]) -> tuple[list[Occurrence], Bound]:
    state = Flow()
    out = state.block(statements, bound)
    return state.exposed, out


def always_exits(statements: list[Any]) -> bool:
    """True when no path through ``statements`` falls off their end."""
    _, out = flow(statements, frozenset())
    return out is None
