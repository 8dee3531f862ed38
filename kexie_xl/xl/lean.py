"""Excel layer: a lean start for a ribbon click — imported by the add-in's RunPython command before xlwings.

xlwings imports pandas and numpy whenever they are installed (kexie_xl installs pandas for `kexie_xl.frames`),
which costs 0.3–0.5 s of every click: each click starts a fresh interpreter. No button converts DataFrames or
arrays, and every import of either in xlwings (and in openpyxl) is wrapped in `try … except ImportError` — "not
installed". So a click blocks both: `sys.modules[name] = None` makes `import name` raise ImportError. A module
already imported is left alone; nothing else changes. Also blocked: cryptography, which xlwings imports (wrapped
the same way, xlwings/pro/utils.py) only to read old xlwings PRO license keys — kexie_xl uses no PRO feature; ~10–15
ms of a click. The add-in's VBA (kexie_xl/addin/build.py) puts
`import kexie_xl.xl.lean` in front of xlwings' own bootstrap.
"""

from __future__ import annotations

import sys

BLOCKED = ("pandas", "numpy", "cryptography")

for _name in BLOCKED:
    sys.modules.setdefault(_name, None)  # type: ignore[arg-type]
