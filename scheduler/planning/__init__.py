"""A production's calendar and its gates.

Productions and milestones, anchors to due times, blackouts and quiet hours, embargoes, pauses:
the rules that say *when* something may go out. Moving a milestone, which re-plans posts, lives
with the posts (``scheduler.posts.reflow``).
"""
