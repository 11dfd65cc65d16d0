"""Localization: from a failing test to suspect functions, with and without the symbol index."""

import functools

from codeloop.plugins import language_for_path
from codeloop.core.fix.localize import Localizer
from codeloop.runners.base import TestFailure, TestReport
from codeloop.workspace.git import visible_files
from codeloop.workspace.symbols import definition_finder

from tests.conftest import make_repo

REPO = {
    "shop/cart.py": (
        "class Cart:\n"
        "    def __init__(self):\n        self.items = []\n\n"
        "    def add(self, price):\n        self.items.append(price)\n\n"
        "    def total(self):\n        return sum(self.items) - 1\n"
    ),
    "shop/report.py": "def total(rows):\n    return len(rows)\n\n\nTOTAL = 3\n",
    "shop/__init__.py": "",
    "tests/test_cart.py": (
        "from shop.cart import Cart\n\n\n"
        "def total(cart):\n    return cart.total()\n\n\n"  # a test helper of the same name: not a suspect
        "def test_total():\n    cart = Cart()\n    cart.add(2)\n    assert total(cart) == 2\n"
    ),
}


def _report() -> TestReport:
    failure = TestFailure("tests/test_cart.py::test_total", "assert 1 == 2", "", (), "tests/test_cart.py", 9)
    return TestReport(passed=False, exit_code=1, failures=[failure], structured=True)


def test_suspects_from_the_index_equal_those_of_a_scan(tmp_path):
    repo = make_repo(tmp_path / "r", REPO)
    files = visible_files(repo)
    read = functools.cache(lambda rel: (repo / rel).read_text())
    scanned = Localizer(files, read, language_for_path, str(repo)).suspects(_report())
    with definition_finder(repo) as find:
        assert find is not None and ("shop/cart.py", 8) in find("total")
        indexed = Localizer(files, read, language_for_path, str(repo), find).suspects(_report())
    keys = [s.key for s in indexed]
    assert keys == [s.key for s in scanned] and [s.score for s in indexed] == [s.score for s in scanned]
    assert {"shop/cart.py::Cart.total", "shop/report.py::total", "shop/cart.py::Cart.add"} <= set(keys)
    assert not any(k.startswith("tests/") for k in keys)


def test_an_unopenable_index_falls_back_to_scanning(tmp_path):
    repo = make_repo(tmp_path / "r", REPO)
    (repo / ".codeloop").write_text("a file where the state folder should be")
    with definition_finder(repo) as find:
        assert find is None
