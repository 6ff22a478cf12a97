"""The participation hub's own library: what every service needs."""
