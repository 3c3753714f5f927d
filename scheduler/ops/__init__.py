"""Running Callsheet as a service: whether a process is ready to work (health)."""
