"""The administrator's pages: settings.py, users.py, audit_log.py."""
