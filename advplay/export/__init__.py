"""Export: animations (GIF, MP4, WebP, PNG sequence) and images drawn by the app's own views.

Importing this package is cheap and Qt-free; Qt is imported when frames are rendered.

- :mod:`advplay.export.files`: the errors users see, destination checks, atomic files
- :mod:`advplay.export.writers`: streaming writers (GIF, MP4, WebP, PNG sequence)
- :mod:`advplay.export.animation`: options and the export loop
- :mod:`advplay.export.frames`: the offscreen renderer (Qt)
- :mod:`advplay.export.headless`: the glue behind ``advplay train --export`` and ``advplay render``
"""

from advplay.export.animation import (PANELS, SIZE_PRESETS, THEMES, AnimationExport,
                                      ExportOptions, export_animation, parse_size)
from advplay.export.files import (FORMATS, ExportCancelled, ExportError, ExportPathError,
                                  format_for_path)

__all__ = ["AnimationExport", "ExportCancelled", "ExportError", "ExportOptions",
           "ExportPathError", "FORMATS", "PANELS", "SIZE_PRESETS", "THEMES", "export_animation",
           "format_for_path", "parse_size"]
