"""The four-level grid: district → street → community (L1) → L2 → L3 → L4."""
