"""Photos: upload, re-encode (EXIF stripped, orientation applied), store, serve by signed URL."""
