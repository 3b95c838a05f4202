"""Test-wide settings: the hypothesis "ci" profile (no deadline) unless HYPOTHESIS_PROFILE says."""
import os

from hypothesis import settings

from minidl.testing import register_profiles

register_profiles()
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
