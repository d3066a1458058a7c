"""Placeholder: filled in by the item_views work."""
