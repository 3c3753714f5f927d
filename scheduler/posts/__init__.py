"""Posts and their deliveries.

``lifecycle``: create, edit, submit, preview, approve, reject. ``deliveries``: a person's hand
on one delivery. ``reflow``: moving a milestone moves every unsent anchored delivery.
"""
