"""The participation hub's services."""
