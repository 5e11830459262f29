"""The Qt-free core of FT Studio. Nothing in this package may import Qt."""
