"""The dashboard's shell (`shell.py`: sign-in, language, layout, rendering), its charts (`charts.py`),
its templates and static files; each page lives with its concern (`<concern>/page.py`)."""
