"""Photos: upload, strip every piece of metadata (re-encoding, orientation applied, unless
the JPEG needs no change), store, serve by signed URL."""
