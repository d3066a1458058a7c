"""Placeholder: filled in by the notice_views work."""
