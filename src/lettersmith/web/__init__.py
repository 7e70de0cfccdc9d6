"""The web app (``lettersmith serve``): a second face on ``lettersmith.Project`` for people who
do not use a terminal. ``create_app`` in ``web/app.py`` is where to start reading."""
