"""The web app's pages, one module per part; each exports ``routes`` (Starlette routes), which
``web/app.py`` joins. A new page is a new module here and a template under web/templates/."""
