"""Excel layer: ribbon buttons via xlwings RunPython — the only package that imports xlwings."""
