"""Ranking: PageRank against networkx, the right files on a small repo, the token budget."""

import numpy as np

from codeloop.analysis import ranking
from codeloop.analysis.repomap import build_map, count_tokens
from codeloop.workspace.symbols import line_reader, open_index
from tests.conftest import make_repo


def test_pagerank_matches_networkx():
    import networkx as nx
    rng = np.random.default_rng(7)
    n, m = 40, 160
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    weight = rng.random(m)
    out = np.bincount(src, weights=weight, minlength=n)
    graph = ranking.Graph(n, n, src, dst, weight / out[src], np.array([]), np.array([]))
    personal = np.zeros(n)
    personal[[3, 9]] = 1.0
    ours = ranking.pagerank(graph, personal)
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    for s, d, w in zip(src.tolist(), dst.tolist(), (weight / out[src]).tolist()):
        if g.has_edge(s, d):
            g[s][d]["weight"] += w
        else:
            g.add_edge(s, d, weight=w)
    p = {i: float(personal[i]) for i in range(n)}
    theirs = nx.pagerank(g, alpha=ranking.DAMPING, personalization=p, dangling=p, tol=1e-12, max_iter=1000)
    assert np.allclose(ours, [theirs[i] for i in range(n)], atol=1e-9)


REPO = {
    # engine.Engine is used everywhere: the centre of the repo
    "engine.py": "class Engine:\n    def run(self):\n        pass\n",
    "a.py": "from engine import Engine\n\n\ndef start_a():\n    Engine().run()\n",
    "b.py": "from engine import Engine\n\n\ndef start_b():\n    Engine().run()\n",
    "c.py": "from engine import Engine\n\n\ndef start_c():\n    Engine().run()\n",
    # billing uses only rates; nothing uses billing
    "rates.py": "def tax_rate(country):\n    return 0.2\n",
    "billing.py": "from rates import tax_rate\n\n\ndef invoice(total):\n    return total * tax_rate('fr')\n",
    "util.py": "def helper(x):\n    return x\n",
    "d.py": "from util import helper\n\n\ndef use():\n    return helper(1)\n",
}


def _map(repo, **kwargs):
    index, _ = open_index(repo, workers=1)
    try:
        return build_map(index, line_reader(repo), **kwargs)
    finally:
        index.close()


def test_without_focus_the_most_used_file_ranks_first(tmp_path):
    repo = make_repo(tmp_path / "r", REPO)
    repo_map = _map(repo, budget=2000)
    assert repo_map.files[0].path == "engine.py"


def test_focus_file_pulls_up_what_it_uses(tmp_path):
    repo = make_repo(tmp_path / "r", REPO)
    repo_map = _map(repo, budget=2000, focus_paths=["billing.py"])
    others = [f.path for f in repo_map.files if f.path != "billing.py"]
    assert others[0] == "rates.py"


def test_focus_symbol_pulls_up_its_definition_and_users(tmp_path):
    repo = make_repo(tmp_path / "r", REPO)
    repo_map = _map(repo, budget=2000, focus_names=["helper"])
    order = [f.path for f in repo_map.files]
    assert order[0] == "util.py"
    assert order.index("d.py") < order.index("a.py")


def test_map_fits_the_token_budget(tmp_path):
    repo = make_repo(tmp_path / "r", REPO)
    sizes = []
    for budget in (1, 20, 40, 80, 2000):
        repo_map = _map(repo, budget=budget)
        assert repo_map.tokens <= budget
        assert count_tokens(repo_map.render()) <= budget
        sizes.append(sum(len(f.definitions) for f in repo_map.files))
    assert sizes[0] == 0 and sizes == sorted(sizes) and sizes[-1] == 9  # all nine definitions fit in 2000


def test_map_shows_signatures_not_bodies(tmp_path):
    repo = make_repo(tmp_path / "r", {"m.py": "def long_one(a,\n             b):\n    x = a\n    return x + b\n"})
    text = _map(repo, budget=500).render()
    assert "def long_one(a," in text and "b):" in text and "return" not in text


def test_count_tokens_is_close_to_a_bpe_count():
    # identifiers split into pieces, punctuation counts one each
    assert count_tokens("def f(x):") == 6
    assert count_tokens("") == 0
    assert count_tokens("supercalifragilistic") > 1


def test_cached_map_is_reused_until_something_changes(tmp_path):
    from codeloop.analysis.repomap import cached_map
    from tests.conftest import git

    repo = make_repo(tmp_path / "r", REPO)
    index, _ = open_index(repo, workers=1)
    first = cached_map(index, line_reader(repo), 300, ["billing.py"])
    assert index.cached('["map", 300, ["billing.py"], [], ""]') is not None
    assert cached_map(index, lambda path: [], 300, ["billing.py"]) == first  # no file read: a hit
    index.close()
    git(repo, "mv", "rates.py", "tax_rates.py")
    index, stats = open_index(repo, workers=1)
    assert stats.renamed == 1
    again = cached_map(index, line_reader(repo), 300, ["billing.py"])
    assert "tax_rates.py" in [f.path for f in again.files] and "rates.py" not in [f.path for f in again.files]
    index.close()
