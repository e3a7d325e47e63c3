"""Shop pages: home, product listing and pages, maker pages, search suggestions, sitemap."""
