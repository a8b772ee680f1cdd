"""WSGI entry point: ``gunicorn wsgi:app``."""

from sampark.app import create_app

app = create_app()
