"""System routes: health, language switch, the methods page."""
