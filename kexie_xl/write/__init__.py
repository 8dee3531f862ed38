"""Stage ⑥: outputs, laid out from the schema (openpyxl lives here, imported lazily by callers)."""
