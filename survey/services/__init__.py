"""Write operations. Each is atomic, takes the acting user and writes its audit row."""
