"""The web console: FastAPI + Jinja2, server-rendered, for QA inspectors, admins and agents.

``console.web.server.create_app`` builds the application. This package file imports
nothing, so importing one router does not import the server (which imports every router).
"""
