"""One router module per resource; each route is thin and has its rule in ``api.access``."""
