"""The pages (to come)."""
