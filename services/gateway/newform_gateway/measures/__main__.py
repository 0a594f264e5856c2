"""`python -m newform_gateway.measures`: write docs/measures.md from coverage.toml."""

from __future__ import annotations

from newform_common.version import repo_root

from .service import markdown

if __name__ == "__main__":
    target = repo_root() / "docs" / "measures.md"
    target.write_text(markdown(), encoding="utf-8")
    print(target)
