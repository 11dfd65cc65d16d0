"""The field benchmark's pinned projects and seeded bugs (data only; see field.py).

Every project is a PyPI sdist pinned by version AND sha256, whose sdist ships its tests.
Every seed names the file (relative to the project root), the 1-based line, the exact text
on that line before and after (``after=None`` deletes the whole line: a deleted
statement), so each bug is reproducible and reviewable here. ``where`` says why the seed
is there: the kinds of place a localizer finds hard are marked ``wrapper`` (inside a
decorator's inner function), ``helper`` (two or more calls below the public function the
tests call) and ``import`` (module-level code that runs at import time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

# Pinned test dependencies (and their own dependencies), shared by every project venv.
PYTEST = ("pytest==8.3.5", "iniconfig==2.0.0", "packaging==24.2", "pluggy==1.5.0")
FREEZEGUN = ("freezegun==1.5.1", "python-dateutil==2.9.0.post0", "six==1.17.0")


@dataclass(frozen=True)
class Project:
    name: str
    version: str
    sha256: str  # of the .tar.gz that `pip download --no-binary :all:` fetches
    layout: str  # "src" or "flat"
    package: str  # the import package (site-packages/<package>/ for a regular install)
    test_deps: tuple[str, ...]  # from the project's tox.ini / requirements / dependency groups

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version}"


@dataclass(frozen=True)
class Seed:
    id: str
    project: str
    path: str
    line: int
    before: str  # must occur exactly once on that line
    after: Optional[str]  # None: the whole line is deleted
    kind: str  # comparison | off-by-one | operator | negation | swap | name | literal | dropped-call | deleted
    where: str = ""  # wrapper | helper | import | "" (plain function body)


PROJECTS: dict[str, Project] = {
    p.name: p
    for p in (
        Project("markupsafe", "3.0.4", "2e9ad7dd851bf45fab9f75cbff4cb493fee9979e8d8c7c9c3ee119022518edd6", "src", "markupsafe", PYTEST),
        Project("itsdangerous", "2.2.0", "e0050c0b7da1eea53ffaf149c0cfbb5c6e2e2b69c4bef22c81fa6eb73e5f6173", "src", "itsdangerous", PYTEST + FREEZEGUN),
        Project("cachetools", "8.0.2", "30ac523adfc118b51d2b2e7bad8a0ddb31370dfe2700c7f10ca224f36ccf81e0", "src", "cachetools", PYTEST),
        Project("click", "8.1.8", "ed53c9d8990d83c2a27deae68e4ee337473f6330c040a31d4225c9574d16096a", "src", "click", PYTEST),
        Project("toolz", "1.2.0", "9667a038e9d6ecba37995e26cb2f59ec6420b6ad8dd9677de59db9b956b08490", "flat", "toolz", PYTEST),
        Project("inflection", "0.5.1", "1a29730d366e996aaacffb2f1f1cb9593dc38e2ddd30c91250c6dde09ea9b417", "flat", "inflection", PYTEST),
    )
}

_MS = "src/markupsafe/__init__.py"
_ID = "src/itsdangerous/"
_CT = "src/cachetools/"
_CK = "src/click/"
_INF = "inflection/__init__.py"

SEEDS: tuple[Seed, ...] = (
    # markupsafe: escape() and Markup's methods; _native is the pure-Python escaper.
    Seed("markupsafe-1", "markupsafe", _MS, 39, "if type(s) is str:", "if type(s) is not str:", "negation"),
    Seed("markupsafe-2", "markupsafe", _MS, 217, "end += 3", "end += 2", "off-by-one"),
    Seed("markupsafe-3", "markupsafe", _MS, 226, "parts.append(value[pos:start])", None, "deleted"),
    Seed("markupsafe-4", "markupsafe", _MS, 380, "return str(self.escape(self.obj))", "return str(self.obj)", "dropped-call", "helper"),
    Seed("markupsafe-5", "markupsafe", "src/markupsafe/_native.py", 6, """.replace("'", "&#39;")""", """.replace("'", "&#34;")""", "literal", "helper"),
    Seed("markupsafe-6", "markupsafe", _MS, 137, 'isinstance(value, str) or hasattr(value, "__html__")', 'isinstance(value, str) and hasattr(value, "__html__")', "operator"),
    # itsdangerous: Serializer.loads -> Signer.unsign -> verify_signature -> base64_decode.
    Seed("itsdangerous-1", "itsdangerous", _ID + "timed.py", 141, "if age > max_age:", "if age < max_age:", "comparison"),
    Seed("itsdangerous-2", "itsdangerous", _ID + "encoding.py", 33, 'string += b"=" * (-len(string) % 4)', None, "deleted", "helper"),
    Seed("itsdangerous-3", "itsdangerous", _ID + "encoding.py", 54, 'bytestr.rjust(8, b"\\x00")', 'bytestr.rjust(7, b"\\x00")', "off-by-one", "helper"),
    Seed("itsdangerous-4", "itsdangerous", _ID + "encoding.py", 44, 'struct.Struct(">Q")', 'struct.Struct("<Q")', "literal", "import"),
    Seed("itsdangerous-5", "itsdangerous", _ID + "signer.py", 251, "signed_value.rsplit(self.sep, 1)", "signed_value.split(self.sep, 1)", "name"),
    Seed("itsdangerous-6", "itsdangerous", _ID + "signer.py", 208, "mac.update(self.salt)", None, "deleted"),
    # cachetools: @cached's wrapper (_BasicMixin.__call__) -> the key function; Cache internals.
    Seed("cachetools-1", "cachetools", _CT + "__init__.py", 70, "while self.__currsize + 1 > maxsize:", "while self.__currsize + 1 >= maxsize:", "comparison"),
    Seed("cachetools-2", "cachetools", _CT + "__init__.py", 98, "self.__currsize -= 1", None, "deleted"),
    Seed("cachetools-3", "cachetools", _CT + "_decorator.py", 31, "return val", "return key", "name", "wrapper"),
    Seed("cachetools-4", "cachetools", _CT + "keys.py", 25, "if kwargs:", "if not kwargs:", "negation", "helper"),
    Seed("cachetools-5", "cachetools", _CT + "__init__.py", 85, "diffsize = itemsize - size[key]", "diffsize = itemsize + size[key]", "operator"),
    Seed("cachetools-6", "cachetools", _CT + "keys.py", 19, "_kwmark = (_HashedTuple,)", "_kwmark = ()", "literal", "import"),
    # click: make_pass_decorator's inner new_func; the parser helpers below Command.main.
    Seed("click-1", "click", _CK + "decorators.py", 80, "if ensure:", "if not ensure:", "negation", "wrapper"),
    Seed("click-2", "click", _CK + "decorators.py", 45, "f(get_current_context().obj, *args, **kwargs)", "f(get_current_context(), *args, **kwargs)", "dropped-call", "wrapper"),
    Seed("click-3", "click", _CK + "parser.py", 115, "if opt[1:2] == first:", "if opt[1:2] != first:", "comparison", "helper"),
    Seed("click-4", "click", _CK + "parser.py", 85, "elif nargs > 1:", "elif nargs > 2:", "off-by-one", "helper"),
    Seed("click-5", "click", _CK + "parser.py", 106, "rv[spos + 1 :] = reversed(rv[spos + 1 :])", None, "deleted", "helper"),
    Seed("click-6", "click", _CK + "types.py", 1086, "FLOAT = FloatParamType()", "FLOAT = IntParamType()", "name", "import"),
    Seed("click-7", "click", _CK + "formatting.py", 139, "self.current_indent += self.indent_increment", None, "deleted"),
    # toolz (flat): memoize's memof wrapper; merge_sorted's recursive helper; import-time registry.
    Seed("toolz-1", "toolz", "toolz/functoolz.py", 456, "k = key(args, kwargs)", "k = key(kwargs, args)", "swap", "wrapper"),
    Seed("toolz-2", "toolz", "toolz/itertoolz.py", 158, "if val2 < val1:", "if val2 > val1:", "comparison", "helper"),
    Seed("toolz-3", "toolz", "toolz/itertoolz.py", 401, "return tail(1, seq)[0]", "return tail(2, seq)[0]", "off-by-one"),
    Seed("toolz-4", "toolz", "toolz/dicttoolz.py", 218, "d2.update(d)", None, "deleted"),
    Seed("toolz-5", "toolz", "toolz/itertoolz.py", 309, "return len(seq) == len(set(seq))", "return len(seq) != len(set(seq))", "comparison"),
    Seed("toolz-6", "toolz", "toolz/__init__.py", 22, "functoolz._sigs.create_signature_registry()", None, "deleted", "import"),
    Seed("toolz-7", "toolz", "toolz/curried/__init__.py", 63, "dissoc = toolz.curry(toolz.dissoc)", "dissoc = toolz.curry(toolz.assoc)", "name", "import"),
    # inflection (flat, one module): rules built at import time by _irregular().
    Seed("inflection-1", "inflection", _INF, 422, "_irregular('child', 'children')", None, "deleted", "import"),
    Seed("inflection-2", "inflection", _INF, 102, "if singular[0].upper() == plural[0].upper():", "if singular[0].upper() != plural[0].upper():", "comparison", "import"),
    Seed("inflection-3", "inflection", _INF, 168, "camelize(string)[1:]", "camelize(string)[2:]", "off-by-one"),
    Seed("inflection-4", "inflection", _INF, 197, 'word = re.sub(r"_id$", "", word)', None, "deleted", "helper"),
    Seed("inflection-5", "inflection", _INF, 300, "word.lower() in UNCOUNTABLES", "word.lower() not in UNCOUNTABLES", "negation"),
    Seed("inflection-6", "inflection", _INF, 274, "if separator:", "if not separator:", "negation"),
)
