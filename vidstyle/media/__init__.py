"""Reading and writing media: video through PyAV, still images through Pillow, atomic output files."""
