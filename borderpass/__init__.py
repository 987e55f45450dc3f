"""borderpass runtime: what the edge and the hub share that touches the world (the
clock, SQLite, configuration files, QR images) and the command-line program."""
