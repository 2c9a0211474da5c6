"""advplay.core imports and trains with PySide6 and pyqtgraph unavailable."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import importlib.abc, sys

    class NoQt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6"}:
                raise ImportError(f"{name} is blocked for this test")
            return None

    sys.meta_path.insert(0, NoQt())
    from advplay.core.config import Config
    from advplay.core.session import Session
    import advplay.core.targets, advplay.core.metrics, advplay.core.losses
    import advplay.core.drawing, advplay.core.drawn, advplay.core.imports, advplay.worker.process

    session = Session(Config().replace({"model.width": 16, "train.batch_size": 32}))
    session.step(5)
    assert session.snapshot().step == 5
    assert not any(m.split(".")[0] in {"PySide6", "pyqtgraph"} for m in sys.modules)
    print("ok")
""")


def test_core_trains_without_qt():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
