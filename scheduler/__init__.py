"""Callsheet's scheduler: the domain, its services and its faces (the HTTP API and commands).

Rooms are named after the domain. Imports point one way, from the faces down to ``core``;
``pyproject.toml``'s import contracts say which room may use which, and ``make lint`` checks them.
"""
