"""Tag extraction per language on small golden sources: definitions (with nesting,
kinds and header lines) and the names each file references."""

import pytest

from codeloop import plugins
from codeloop.analysis.tags import extract

PYTHON = b'''from shop.pricing import add_tax, Rate as R

LIMIT = 10


class Cart(Base, models.Model):
    @cached
    def total(self,
              rate):
        return add_tax(self.subtotal(), rate)


def helper(x: Money) -> int:
    return len(x)
'''

JAVASCRIPT = b'''import { helper } from "./util.js";

export class Cart extends Base {
  total(items) {
    return helper(items).reduce(sum, 0);
  }
}

function sum(a, b) {
  return a + b;
}

const render = (cart) => new View(cart);
'''

TYPESCRIPT = b'''import { Item } from "./item";

export interface Priced {
  price(): number;
}

type Id = string;

export class Cart implements Priced {
  items: Item[] = [];
  price(): number {
    return total(this.items);
  }
}

enum Color { Red }

function total(items: Item[]): number {
  return items.length;
}
'''

TSX = b'''import { Button } from "./button";

export function App(props: Props) {
  return <Button onClick={() => track("x")} />;
}

const Header = () => <h1>{title()}</h1>;
'''

JAVA = b'''package shop;

import shop.util.Money;

public class Cart extends Base implements Priced {
    private Money total;

    public Money price(Item item) {
        Money m = new Money(item.cost());
        return m.plus(total);
    }
}

interface Priced {
    Money price(Item item);
}
'''

GO = b'''package shop

type Cart struct {
	items []Item
	owner *User
}

func (c *Cart) Total(rate float64) Money {
	return sum(c.items).Scale(rate)
}

func sum(items []Item) Money {
	return Money{}
}
'''

CASES = {
    "python": (
        PYTHON,
        [("LIMIT", "constant", 3, 3), ("Cart", "class", 6, 6), ("Cart.total", "method", 8, 9), ("helper", "function", 13, 13)],
        {"add_tax", "Rate", "Base", "Model", "cached", "subtotal", "Money", "int", "len"},
    ),
    "javascript": (
        JAVASCRIPT,
        [("Cart", "class", 3, 3), ("Cart.total", "method", 4, 4), ("sum", "function", 9, 9), ("render", "function", 13, 13)],
        {"helper", "Base", "reduce", "View"},
    ),
    "typescript": (
        TYPESCRIPT,
        [
            ("Priced", "interface", 3, 3),
            ("Priced.price", "method", 4, 4),
            ("Id", "type", 7, 7),
            ("Cart", "class", 9, 9),
            ("Cart.price", "method", 11, 11),
            ("Color", "enum", 16, 16),
            ("total", "function", 18, 18),
        ],
        {"Item", "Priced", "total"},
    ),
    "tsx": (TSX, [("App", "function", 3, 3), ("Header", "function", 7, 7)], {"Button", "Props", "track", "title"}),
    "java": (
        JAVA,
        [("Cart", "class", 5, 5), ("Cart.price", "method", 8, 8), ("Priced", "interface", 14, 14), ("Priced.price", "method", 15, 15)],
        {"Money", "Base", "Priced", "Item", "cost", "plus"},
    ),
    "go": (
        GO,
        [("Cart", "type", 3, 3), ("Total", "method", 8, 8), ("sum", "function", 12, 12)],
        {"Item", "User", "Cart", "float64", "Money", "sum", "Scale"},
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_tags_golden(name):
    source, definitions, references = CASES[name]
    tags = extract(plugins.languages()[name], source)
    assert [(d.qualname, d.kind, d.line, d.sig_end) for d in tags.definitions] == definitions
    assert {r.name for r in tags.references} == references


def test_every_builtin_language_is_registered_with_a_compiling_query():
    from codeloop.analysis.languages import query_for
    from codeloop.plugins import language_for_path

    languages = plugins.languages()
    assert {"python", "javascript", "typescript", "tsx", "java", "go"} <= set(languages)
    for language in languages.values():
        assert query_for(language, "tags").pattern_count > 0
    assert language_for_path("a/b.tsx").name == "tsx" and language_for_path("x.go").name == "go"


def test_reference_lines_and_definition_spans():
    tags = extract(plugins.languages()["python"], PYTHON)
    assert [(r.name, r.line) for r in tags.references if r.name == "add_tax"] == [("add_tax", 1), ("add_tax", 10)]
    cart = next(d for d in tags.definitions if d.name == "Cart")
    assert (cart.line, cart.end_line) == (6, 10)


def test_unparsable_bytes_still_give_records():
    # tree-sitter recovers from errors; the index must never crash on a broken file.
    tags = extract(plugins.languages()["python"], b"def ok():\n    pass\n\ndef broken(:\n  )))\n\xff\xfe\n")
    assert "ok" in [d.name for d in tags.definitions]


@pytest.mark.parametrize("name", sorted(CASES))
def test_index_records_are_extract_aggregated_per_name(name):
    # The index's one-pass extraction must store exactly what extract() finds.
    from codeloop.analysis.tags import index_records

    language = plugins.languages()[name]
    source = CASES[name][0]
    ignored = language.extra.get("ignored_references", frozenset())
    tags = extract(language, source)
    lines: dict[str, list[int]] = {}
    for ref in tags.references:
        if ref.name not in ignored:
            lines.setdefault(ref.name, []).append(ref.line)
    expected = sorted((n, len(at), ",".join(map(str, sorted(at)))) for n, at in lines.items())
    definitions, rows = index_records(language, source, ignored)
    assert definitions == tags.definitions
    assert sorted(rows) == expected
    if name == "python":
        assert ("add_tax", 2, "1,10") in rows and not any(r[0] == "len" for r in rows)
