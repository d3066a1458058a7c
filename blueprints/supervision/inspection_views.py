"""Placeholder: filled in by the inspection_views work."""
