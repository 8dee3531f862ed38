"""Edge adapter: the Excel add-in — build it from macros/, install it for the current user, diagnose it."""
