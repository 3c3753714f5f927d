"""Telling people: notification hooks, their delivery log, and sending what the outbox queued.

Changes queue their messages in their own transaction (``scheduler.events``); the scheduler's
*notify* job sends them later (``sending``), so a slow receiver never delays a post and a
rollback tells no one.
"""
