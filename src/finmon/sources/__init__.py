"""Where transactions come from: the canonical format, files, SQL polling, manual entry."""
