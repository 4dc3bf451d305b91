import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_platform_module_is_the_standard_library():
    """The source folder platform/ must not shadow Python's own `platform` module."""
    out = subprocess.run(
        [sys.executable, "-c", "import platform, eldercare; print(platform.system(), eldercare.__name__)"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    assert out.stdout.split() == [platform_system(), "eldercare"]


def platform_system():
    import platform

    return platform.system()
