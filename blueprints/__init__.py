"""Feature blueprints; each folder holds one."""
