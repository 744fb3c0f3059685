"""Logins, sessions, roles, CSRF, security headers, display tokens and the audit log.

``install(app)`` (from app.create_app) puts the guard in front of every request.
"""
