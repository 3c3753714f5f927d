"""Posts and their deliveries.

``lifecycle``: create, edit, read. ``targets``: a post's due time on each account, each
platform's verdict, the deliveries fan-out. ``preview``: what each delivery would publish.
``approval``: submit, reject, approve. ``deliveries``: a person's hand on one delivery.
``reflow``: moving a milestone moves every unsent anchored delivery.
"""
