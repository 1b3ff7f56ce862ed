"""pvscan.patterns: detectors and their data files (lexicons, rules)."""
