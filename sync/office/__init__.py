"""The street-office server: publishes content to its halls, receives their tickets."""
