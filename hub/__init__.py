"""The borderpass hub: issues and revokes permits, keeps the registry of employers,
workers and permits, serves the API and the web pages, and (with the sync and
reconciliation parts) turns every edge's log into timelines and alerts."""
