"""Settlement pages: managers' periods and statements, commission rates, vendors' statements."""
