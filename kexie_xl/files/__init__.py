"""Edge adapter: workbook files — safety checks before parsing, then a Grid via python-calamine."""
