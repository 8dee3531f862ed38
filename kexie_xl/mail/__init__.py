"""Edge adapter: email in and out (the only package that uses the email library)."""
