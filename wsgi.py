"""Entry point for gunicorn (``wsgi:app``) and the ``flask --app wsgi`` commands."""

import sys

from portal import create_app
from portal.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    # One line an operator can act on, not a traceback.
    sys.exit(f"sps-portal: {error}")
