"""Compare 2–4 approved providers side by side (/compare?ids=…)."""
