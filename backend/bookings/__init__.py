"""After-hours service windows: appointments at the community service centre (延时预约服务)."""
