"""The ``callsheet`` command: one module per command group, the demo, terminal views."""
