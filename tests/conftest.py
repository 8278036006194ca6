import os

# The test settings run with DEBUG off like production, so they need a key.
os.environ.setdefault("DJANGO_SECRET_KEY", "perfeval-test-secret-key")
