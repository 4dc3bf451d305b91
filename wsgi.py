"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""
import sys
from pathlib import Path

# Run from a plain checkout too: the package lives in the source folder platform/.
sys.path.insert(0, str(Path(__file__).resolve().parent / "platform"))

from eldercare import create_app  # noqa: E402

app = create_app()
