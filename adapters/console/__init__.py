"""The console: web pages where coordinators, practice managers and peer leads run the pool.

Server-rendered (Jinja2) with htmx for the live parts, styled by the NHS design system; every
file it needs is in this package (nothing is loaded from another host). It is a driving
adapter: each page calls the same commands and queries as the JSON API, as the signed-in
member, and holds no business rules. ``serve`` mounts it at /console.
"""

from adapters.console.app import console_app

__all__ = ["console_app"]
