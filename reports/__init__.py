"""Reports: per-portal HTML and JSON, the league table and the score export. Nothing here measures."""
