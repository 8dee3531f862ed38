"""Schema ①: the single source of truth for what the template is (sheets, columns, code lists, units)."""
