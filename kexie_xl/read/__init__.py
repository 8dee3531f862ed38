"""Stage ②: raw grid → typed submission. Pure: works on a Grid, whatever produced it (file, live Excel)."""
