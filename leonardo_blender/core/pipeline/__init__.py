"""The worker side of texture jobs: one runner, two engines (texture API, projection), shared machinery.

``runner.TexturePipeline`` is the entry point; ``base`` holds what both engines share (settings,
snapshots and journal, polling), ``texture_api`` and ``projection`` the steps of each engine.
Plain values only: no ``bpy``.
"""

from .base import ImageDecoder, PipelineSettings
from .runner import FALLBACK_NOTE, TexturePipeline

__all__ = ["FALLBACK_NOTE", "ImageDecoder", "PipelineSettings", "TexturePipeline"]
