"""The Qt panel and the viewer overlay every app shares (Qt through Qt.py only)."""
