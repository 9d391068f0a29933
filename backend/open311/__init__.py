"""Open311 GeoReport v2: the public read interface and API-key filing of reports."""
