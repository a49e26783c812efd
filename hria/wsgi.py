"""The application for a WSGI server of one's own: ``gunicorn --workers 4 'hria.wsgi:app'``.

It reads its configuration like ``hria serve`` (the instance's config.py, then HRIA_* variables) but neither
migrates the database nor works through the queue: run ``hria init`` once before, and ``hria worker``
beside it (see "Running at scale" in the README).
"""

from hria import create_app

app = create_app()
