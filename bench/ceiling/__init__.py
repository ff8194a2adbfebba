"""The bench ceiling: the smallest Django REST framework app that lists 20 rows through a
ModelSerializer, on the same database and gunicorn settings as Fleetgate (bench/ceiling_ab.py)."""
