"""Placeholder: filled in by the check_views work."""
