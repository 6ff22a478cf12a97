"""Tables, queries and repositories of the petitions database."""
