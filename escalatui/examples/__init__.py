"""Task files bundled with escalatui (listed on the home screen) and the helpers they call."""
