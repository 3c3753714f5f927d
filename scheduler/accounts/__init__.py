"""Platform accounts: adapter settings (validated by the adapter), sealed secrets, reconnecting."""
