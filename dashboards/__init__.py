"""One Dash page per screen; the file name is the URL. Pages import nothing from each other."""
