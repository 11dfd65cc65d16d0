"""The symbol index on real git repos: what it answers, and when it re-parses."""

from pathlib import Path

from codeloop.analysis import index_parse
from codeloop.workspace.symbols import open_index
from tests.conftest import git, make_repo

FILES = {
    "shop/pricing.py": "def add_tax(price, rate=0.2):\n    return price * (1 + rate)\n\n\ndef discount(price):\n    return price * 0.9\n",
    "shop/cart.py": (
        "from shop.pricing import add_tax\n\n\nclass Cart:\n    def __init__(self):\n        self.items = []\n\n"
        "    def total(self):\n        subtotal = sum(self.items)\n        return add_tax(subtotal)\n"
    ),
    "tests/test_cart.py": "from shop.cart import Cart\n\n\ndef test_total():\n    assert Cart().total() == 0\n",
    "web/app.js": "function render(cart) {\n  return format(cart);\n}\n",
    "README.md": "not source\n",
    ".gitignore": "build/\n",
}


def _aged(repo: Path) -> Path:
    """Files written seconds ago, as in real use (fresh ones are hashed again: racy mtimes)."""
    import os
    import time

    past = time.time_ns() - 60_000_000_000
    for path in repo.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            os.utime(path, ns=(past, past))
    return repo


def _index(repo: Path, workers: int | None = 1):
    index, stats = open_index(repo, workers)
    return index, stats


def test_queries(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    index, stats = _index(repo)
    assert stats.files == 4 and stats.parsed == 4
    assert [(d.path, d.line, d.kind) for d in index.definitions_of("add_tax")] == [("shop/pricing.py", 1, "function")]
    assert [(d.path, d.qualname) for d in index.definitions_of("Cart.total")] == [("shop/cart.py", "Cart.total")]
    assert [(u.path, u.line, u.enclosing) for u in index.callers_of("add_tax")] == [("shop/cart.py", 1, None), ("shop/cart.py", 10, "Cart.total")]
    assert index.tests_exercising("Cart") == ["tests/test_cart.py"]
    assert index.tests_exercising("add_tax") == []
    assert index.enclosing_definition("shop/cart.py", 9).qualname == "Cart.total"
    assert index.enclosing_definition("shop/cart.py", 2) is None
    # builtins are not references worth keeping (every file calls len/sum)
    assert index.references_to("sum") == []
    index.close()


def test_unchanged_files_are_not_reparsed_and_edits_are(tmp_path):
    repo = _aged(make_repo(tmp_path / "r", FILES))
    _index(repo)[0].close()
    index, stats = _index(repo)
    assert stats.parsed == 0
    generation = index.generation
    index.close()
    (repo / "shop/pricing.py").write_text(FILES["shop/pricing.py"] + "\n\ndef refund(price):\n    return -price\n")
    index, stats = _index(repo)
    assert (stats.parsed, stats.rehashed) == (1, 0)
    assert index.definitions_of("refund")[0].line == 9
    assert index.generation == generation + 1
    index.close()


def test_touch_with_same_bytes_hashes_but_does_not_parse(tmp_path):
    repo = _aged(make_repo(tmp_path / "r", FILES))
    index, _ = _index(repo)
    generation = index.generation
    index.close()
    target = repo / "shop/cart.py"
    target.write_bytes(target.read_bytes())  # new mtime, same size and bytes
    index, stats = _index(repo)
    assert (stats.parsed, stats.rehashed) == (0, 1)
    assert index.generation == generation  # the graph cache stays valid
    index.close()
    index, stats = _index(repo)
    assert stats.parsed == 0  # just written, so its stat is not trusted yet: hashed again
    index.close()


def test_a_same_size_rewrite_within_one_mtime_tick_is_seen(tmp_path):
    import os

    repo = make_repo(tmp_path / "r", FILES)
    target = repo / "shop/pricing.py"
    index, _ = _index(repo)
    index.close()
    st = target.stat()
    target.write_text(FILES["shop/pricing.py"].replace("discount", "discounx"))
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime
    index, stats = _index(repo)
    assert stats.parsed == 1 and index.definitions_of("discounx")
    index.close()


def test_delete_and_rename(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    _index(repo)[0].close()
    git(repo, "mv", "shop/pricing.py", "shop/prices.py")
    (repo / "web/app.js").unlink()
    index, stats = _index(repo)
    assert (stats.parsed, stats.renamed, stats.deleted) == (0, 1, 1)
    assert [d.path for d in index.definitions_of("add_tax")] == ["shop/prices.py"]
    assert index.definitions_of("render") == []
    index.close()


def test_branch_switch(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    git(repo, "checkout", "-qb", "feature")
    (repo / "shop/pricing.py").write_text("def add_vat(price):\n    return price * 1.2\n")
    (repo / "shop/new.py").write_text("def fresh():\n    pass\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "feature")
    index, _ = _index(repo)
    assert index.definitions_of("add_vat") and index.definitions_of("fresh") and not index.definitions_of("add_tax")
    index.close()
    git(repo, "checkout", "-q", "main")
    index, stats = _index(repo)
    assert stats.deleted == 1  # shop/new.py
    assert index.definitions_of("add_tax") and not index.definitions_of("add_vat") and not index.definitions_of("fresh")
    index.close()


def test_gitignored_and_untracked_files(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    (repo / "build").mkdir()
    (repo / "build/gen.py").write_text("def generated():\n    pass\n")
    (repo / "scratch.py").write_text("def draft():\n    pass\n")  # untracked, not ignored: the user has it
    index, _ = _index(repo)
    assert index.definitions_of("generated") == []
    assert [d.path for d in index.definitions_of("draft")] == ["scratch.py"]
    index.close()
    assert "index.sqlite" not in git(repo, "status", "--porcelain", "--ignored=no")


def test_pool_and_in_process_agree(tmp_path, monkeypatch):
    files = {f"pkg/m{i}.py": f"def f{i}(x):\n    return f{(i + 1) % 60}(x)\n" for i in range(60)}
    pooled = make_repo(tmp_path / "a", files)
    single = make_repo(tmp_path / "b", files)
    monkeypatch.setattr(index_parse, "POOL_MIN_FILES", 10)
    a, sa = _index(pooled, workers=2)
    b, sb = _index(single, workers=1)
    assert sa.parsed == sb.parsed == 60
    for i in (0, 17, 59):
        assert [(u.path, u.line) for u in a.callers_of(f"f{i}")] == [(u.path, u.line) for u in b.callers_of(f"f{i}")]
    a.close()
    b.close()


def test_corrupt_database_is_rebuilt(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    _index(repo)[0].close()
    (repo / ".codeloop/index.sqlite").write_bytes(b"not a database" * 100)
    for extra in ("-wal", "-shm"):
        (repo / f".codeloop/index.sqlite{extra}").unlink(missing_ok=True)
    index, stats = _index(repo)
    assert stats.parsed == 4 and index.definitions_of("add_tax")
    index.close()


def test_odd_entries_are_skipped_not_retried(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    (repo / "pkg.py").symlink_to(repo / "shop", target_is_directory=True)  # git lists it as a file
    (repo / "caf\xe9.py").write_text("def accent():\n    pass\n")
    index, stats = _index(repo)
    assert stats.files == 5 and index.definitions_of("accent")
    index.close()
    index, stats = _index(repo)
    assert stats.parsed == 0
    index.close()


def test_an_edited_file_taking_a_deleted_files_bytes_is_not_a_rename(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    _index(repo)[0].close()
    (repo / "shop/cart.py").write_text(FILES["shop/pricing.py"])
    (repo / "shop/pricing.py").unlink()
    index, stats = _index(repo)
    assert (stats.parsed, stats.renamed, stats.deleted) == (1, 0, 1)
    assert [d.path for d in index.definitions_of("add_tax")] == ["shop/cart.py"]
    index.close()
