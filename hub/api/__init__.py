"""The hub's JSON API: thin handlers (parse, call an action or a query, shape)."""
