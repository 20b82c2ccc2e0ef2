"""The hall LAN: a small token-protected HTTP API on the hall PC for counter consoles on other PCs,
and the one client interface a console uses, in-process or over the LAN."""
