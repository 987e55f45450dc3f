"""The hub's server-rendered pages: thin handlers over the store and the actions."""
