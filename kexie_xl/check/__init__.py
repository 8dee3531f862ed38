"""Stage ③: checks on one submission (per-cell checks run while reading, in read/). Named `check` so that
`kexie_xl.validate` stays the public function."""
