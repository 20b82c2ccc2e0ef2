"""The street office's console in the browser (/console/): accounts, halls, statistics, content."""
