"""Edge adapter: the browser page of kexie-xl serve (Starlette + Jinja2, plain HTML and a little JavaScript).

Clerks check a workbook without logging in and without anything being kept; the office logs in to see and run the
month. Like the command line and the ribbon, it calls kexie_xl.api only.

- app: the ASGI app (`create_app`), shared state, error pages
- clerk: the check page, downloads, the template
- office: login, the month's desk, background actions, downloads, feedback after confirmation
- auth, jobs, downloads, security: sessions and lock-out, the one background action, in-memory marked copies,
  security headers and the body cap
"""

from __future__ import annotations
