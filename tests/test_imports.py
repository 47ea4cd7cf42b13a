"""No two modules of ours import each other: such a pair is one module, or needs a third that
both use. (The layers themselves are import-linter's contracts in pyproject.toml.)"""

from __future__ import annotations

import grimp

# The server's three packages and the Python client (client/plangate_client).
PACKAGES = ("executors", "plans", "orchestration", "plangate_client")


def test_no_two_modules_import_each_other() -> None:
    # Imports under `if TYPE_CHECKING:` count: they tie the two modules together just the same.
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    pairs = sorted(
        {
            tuple(sorted((module, imported)))
            for module in graph.modules
            for imported in graph.find_modules_directly_imported_by(module)
            if module in graph.find_modules_directly_imported_by(imported)
        }
    )
    assert pairs == []
