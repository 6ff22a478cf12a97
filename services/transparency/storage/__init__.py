"""The transparency service's database: its tables and the statements the handlers use."""
