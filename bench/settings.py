"""Bench-only settings: the product settings, plus a URLconf that adds the
baseline view. Selected with DJANGO_SETTINGS_MODULE=bench.settings by the
benchmark's server processes only; the product never imports this module."""

from procurement.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
