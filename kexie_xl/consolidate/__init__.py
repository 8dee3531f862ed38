"""Stage ⑤: many submissions → one city dataset: intake, the store, the ledger, the month's tables."""
