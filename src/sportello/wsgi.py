import os

from django.core.wsgi import get_wsgi_application

# A server started without the `sportello` command still creates the database and the
# queue readable by their owner only.
os.umask(0o077)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sportello.settings")
application = get_wsgi_application()
