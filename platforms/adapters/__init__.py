"""Platform adapters: the contract, the registry, and one module per platform.

``base`` is the contract and the error tree; ``http`` is the one place an HTTP answer becomes
an error; ``registry`` finds adapters by the ``callsheet.adapters`` entry point.
"""
