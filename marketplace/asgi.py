"""ASGI entry point for servers with several workers: `uvicorn marketplace.asgi:app --workers 4`."""
from marketplace.app import create_app

app = create_app()
