"""Review before anything goes out.

Approval chains and votes, checklists, expiry of stale approvals, and talent sign-off by
signed, one-time links.
"""
