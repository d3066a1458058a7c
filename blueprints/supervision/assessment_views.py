"""Placeholder: filled in by the assessment_views work."""
