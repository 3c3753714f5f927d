"""What every HTTP face of Callsheet shares: the API (``scheduler.api``) and the pages
(``scheduler.web``) are served by one app, behind one door.

- ``access``: the one access policy, a rule per route, applied before every route, page or
  JSON, and the signed-in caller it yields;
- ``deps``: a database session per request, reading only for a GET;
- ``problems``: every refusal as a problem document (pages show the same sentence);
- ``headers``: the security headers on every answer.
"""
