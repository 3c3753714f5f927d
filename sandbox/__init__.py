"""A local imitation of the platforms' APIs, served over real HTTP by ``callsheet sandbox``.

Real platform APIs are out of reach while rehearsing a campaign, in CI, and in the demo. The
sandbox answers the same endpoints with the same shapes (each platform in its own module under
``sandbox/platforms``), keeps what it receives so a person can see what "went out" and
adapters can look posts up, honours ``Idempotency-Key`` the way Mastodon does, and injects
faults on request (``sandbox/faults.py``): 429 with a wait, 5xx, slow answers, a revoked token,
and "create the post, then drop the connection".

It imitates the documented contract, not each platform's every rule: enough that an adapter
proven here does the real request flow, maps real error shapes, and never posts twice.
"""
